using System.Text.Json.Nodes;

namespace Nabla.Serve;

/// <summary>
/// A request the server refuses, answered as <c>{"error": {"field": …, "message": …, …}}</c> with
/// <see cref="Status"/>. <see cref="Field"/> names the offending JSON field ("body" for the body as a whole).
/// </summary>
public sealed class ApiError : Exception
{
    public int Status { get; }
    public string? Field { get; }
    /// <summary>Extra members of the error object (e.g. "valid": the accepted values).</summary>
    public JsonObject? Details { get; }
    /// <summary>Seconds to send as Retry-After (429, 503), or null.</summary>
    public int? RetryAfterSeconds { get; init; }

    public ApiError(int status, string? field, string message, JsonObject? details = null) : base(message)
    {
        Status = status; Field = field; Details = details;
    }

    public static ApiError BadField(string field, string message, JsonObject? details = null) => new(400, field, message, details);

    public JsonObject ToJson()
    {
        var e = new JsonObject { ["field"] = Field, ["message"] = Message, ["status"] = Status };
        if (Details != null) foreach (var (k, v) in Details) e[k] = v?.DeepClone();
        return new JsonObject { ["error"] = e };
    }
}
