namespace ImageGen.Contracts;

/// <summary>Each provider has its own queue so a slow or broken provider never holds up another.</summary>
public static class ProviderQueues
{
    public static string For(string providerId) => $"provider-{providerId}";
}
