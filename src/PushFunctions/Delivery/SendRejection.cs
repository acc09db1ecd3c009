namespace PushFunctions.Delivery;

/// <summary>Why a send was refused before anything was stored.</summary>
public enum SendRejection { None, Malformed, PayloadTooLarge }
