namespace PushFunctions.Delivery;

public enum StreamKind { User, Broadcast, Room }
