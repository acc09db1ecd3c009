namespace PushFunctions.SignalR;

public sealed record ClientConnectionInfo(string Url, string AccessToken);
