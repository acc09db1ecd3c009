namespace PushFunctions.Accounts;

/// <summary>The body of <c>POST /api/deleteAccountToUpdateOnline</c>: the user to delete as <c>uid</c> (API.md).</summary>
public sealed record DeleteAccountToUpdateOnlineRequest(string? Uid, string? UserName);
