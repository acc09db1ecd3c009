using Microsoft.Extensions.Options;

namespace TodoBackend.Push;

/// <summary>The client of PushFunctions this backend calls it with: its options (validated at start) and its HttpClient.</summary>
public static class PushFunctionsClientRegistration
{
    public static IServiceCollection AddPushFunctionsClient(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<PushFunctionsOptions>()
            .Bind(configuration.GetSection(PushFunctionsOptions.Section))
            .Validate(o => Uri.TryCreate(o.BaseUrl, UriKind.Absolute, out _), "PushFunctions:BaseUrl (env PushFunctions__BaseUrl) must be an absolute URL")
            .Validate(o => !string.IsNullOrWhiteSpace(o.ServerKey), "PushFunctions:ServerKey (env PushFunctions__ServerKey) is required")
            .ValidateOnStart();
        services.AddHttpClient<PushFunctionsClient>((sp, http) =>
        {
            var options = sp.GetRequiredService<IOptions<PushFunctionsOptions>>().Value;
            http.BaseAddress = new Uri(options.BaseUrl.TrimEnd('/') + "/");
            http.DefaultRequestHeaders.Add("x-functions-key", options.ServerKey);
            http.Timeout = TimeSpan.FromSeconds(10);
        });
        return services;
    }
}
