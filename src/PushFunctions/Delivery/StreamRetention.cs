using PushFunctions.Configuration;

namespace PushFunctions.Delivery;

public static class StreamRetention
{
    /// <summary>The retention of a kind of stream.</summary>
    public static RetentionPolicy For(this RetentionOptions retention, StreamKind kind) => kind switch
    {
        StreamKind.User => retention.User,
        StreamKind.Room => retention.Room,
        _ => retention.Broadcast,
    };
}
