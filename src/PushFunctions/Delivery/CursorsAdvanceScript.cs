using StackExchange.Redis;
using PushFunctions.Redis;

namespace PushFunctions.Delivery;

/// <summary>cursors_advance.lua: moves a user's server-side cursors; answers how many changed.</summary>
public sealed class CursorsAdvanceScript() : RedisScript<CursorsAdvanceScript.Input, long>("cursors_advance.lua")
{
    public sealed record Input(RedisKey Cursors, IReadOnlyCollection<CursorMove> Moves);

    protected override RedisKey[] Keys(Input input) => [input.Cursors];

    protected override RedisValue[] Arguments(Input input) =>
        input.Moves.SelectMany(m => new RedisValue[] { m.Stream, m.To.Seq, m.To.Epoch ?? "", m.LatestSeq }).ToArray();

    protected override long Read(RedisResult reply) => (long)new ScriptMap(reply)["moved"u8];
}
