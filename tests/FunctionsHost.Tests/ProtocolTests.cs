using Google.Protobuf.Reflection;

namespace FunctionsHost.Tests;

/// <summary>
/// The host's own .proto (tools/FunctionsHost/Rpc/function_rpc.proto) against the descriptor the worker package embeds
/// (FunctionRpcReflection in Microsoft.Azure.Functions.Worker.Grpc, internal, read by reflection): every message, field,
/// enum value and the service it declares exist in the worker's protocol with the same name, number and type, so what
/// the host writes the worker reads as meant, and the other way round.
/// </summary>
public class ProtocolTests
{
    private static readonly FileDescriptor Ours = FunctionsHost.Rpc.FunctionRpcReflection.Descriptor;
    private static readonly FileDescriptor Workers = WorkerDescriptor();
    private static readonly Dictionary<string, MessageDescriptor> WorkerMessages = Messages(Workers.MessageTypes).ToDictionary(m => m.FullName);
    private static readonly Dictionary<string, EnumDescriptor> WorkerEnums =
        Messages(Workers.MessageTypes).SelectMany(m => m.EnumTypes).Concat(Workers.EnumTypes).ToDictionary(e => e.FullName);

    private static FileDescriptor WorkerDescriptor()
    {
        var type = Type.GetType("Microsoft.Azure.Functions.Worker.Grpc.Messages.FunctionRpcReflection, Microsoft.Azure.Functions.Worker.Grpc", throwOnError: true)!;
        return (FileDescriptor)type.GetProperty("Descriptor")!.GetValue(null)!;
    }

    [Fact]
    public void The_protocol_has_the_workers_package_and_service_so_the_grpc_path_is_the_one_the_worker_calls()
    {
        Assert.Equal(Workers.Package, Ours.Package);
        var ours = Assert.Single(Ours.Services);
        var theirs = Workers.Services.Single(s => s.Name == ours.Name);
        Assert.All(ours.Methods, method =>
        {
            var match = theirs.FindMethodByName(method.Name);
            Assert.NotNull(match);
            Assert.Equal((match.InputType.FullName, match.OutputType.FullName, match.IsClientStreaming, match.IsServerStreaming),
                (method.InputType.FullName, method.OutputType.FullName, method.IsClientStreaming, method.IsServerStreaming));
        });
    }

    [Fact]
    public void Every_field_the_host_declares_has_the_workers_name_number_and_type()
    {
        var differences = new List<string>();
        foreach (var message in Messages(Ours.MessageTypes))
        {
            if (!WorkerMessages.TryGetValue(message.FullName, out var theirs))
            {
                differences.Add($"{message.FullName}: no such message in the worker's protocol");
                continue;
            }
            foreach (var field in message.Fields.InDeclarationOrder())
            {
                var match = theirs.FindFieldByNumber(field.FieldNumber);
                var expected = match is null ? "nothing" : Describe(match);
                if (expected != Describe(field)) differences.Add($"{message.FullName} field {field.FieldNumber}: ours is {Describe(field)}, the worker's {expected}");
            }
        }
        Assert.Empty(differences);
        Assert.True(Messages(Ours.MessageTypes).Sum(m => m.Fields.InDeclarationOrder().Count) > 50, "the comparison saw the host's fields");
    }

    [Fact]
    public void Every_enum_value_the_host_declares_has_the_workers_name_and_number()
    {
        var enums = Messages(Ours.MessageTypes).SelectMany(m => m.EnumTypes).Concat(Ours.EnumTypes).ToList();
        Assert.NotEmpty(enums);
        foreach (var ours in enums)
        {
            Assert.True(WorkerEnums.TryGetValue(ours.FullName, out var theirs), $"{ours.FullName}: no such enum in the worker's protocol");
            Assert.All(ours.Values, value => Assert.Equal(value.Name, theirs.FindValueByNumber(value.Number)?.Name));
        }
    }

    /// <summary>Name, number, type (the message or enum it holds), repeated or map, and the oneof it belongs to.</summary>
    private static string Describe(FieldDescriptor field)
    {
        var type = field.FieldType switch
        {
            FieldType.Message when field.IsMap => $"map<{field.MessageType.FindFieldByNumber(1).FieldType}, {Describe(field.MessageType.FindFieldByNumber(2))}>",
            FieldType.Message => field.MessageType.FullName,
            FieldType.Enum => field.EnumType.FullName,
            var scalar => scalar.ToString(),
        };
        return $"{(field.IsRepeated && !field.IsMap ? "repeated " : "")}{type} {field.Name} = {field.FieldNumber}{(field.RealContainingOneof is { } oneof ? $" (oneof {oneof.Name})" : "")}";
    }

    /// <summary>Every message, nested ones too, except the entries the compiler makes for maps.</summary>
    private static IEnumerable<MessageDescriptor> Messages(IEnumerable<MessageDescriptor> messages) =>
        messages.Where(m => !m.GetOptions()?.MapEntry ?? true).SelectMany(m => Messages(m.NestedTypes).Prepend(m));
}
