namespace PushFunctions.Delivery;

/// <summary>A send that passed the checks (<see cref="Message"/>), or why not, with a sentence that says what to fix.</summary>
public sealed record ValidatedSend(NewMessage? Message, SendRejection Rejection = SendRejection.None, string? Problem = null)
{
    public static ValidatedSend Invalid(SendRejection rejection, string problem) => new(null, rejection, problem);
}
