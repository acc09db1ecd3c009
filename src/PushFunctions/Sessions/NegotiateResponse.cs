namespace PushFunctions.Sessions;

public sealed record NegotiateResponse(string Url, string AccessToken);
