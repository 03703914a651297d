using System.Text.Json.Nodes;

namespace Nabla.Tests.Serve;

/// <summary>Reads server-sent events (event + data lines, blank-line separated) from a streaming response.</summary>
public sealed class SseReader(Stream stream)
{
    readonly StreamReader reader = new(stream);

    /// <summary>The next event, or null at the end of the stream.</summary>
    public async Task<(string Event, JsonObject Data)?> Next(CancellationToken ct = default)
    {
        string ev = "message", data = "";
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Length > 0) return (ev, JsonNode.Parse(data)!.AsObject());
                continue;
            }
            if (line.StartsWith("event: ")) ev = line[7..];
            else if (line.StartsWith("data: ")) data += line[6..];
        }
        return null;
    }
}
