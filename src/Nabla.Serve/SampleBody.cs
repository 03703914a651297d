using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Nabla.Diffusion;

namespace Nabla.Serve;

/// <summary>
/// Parses and checks the JSON body of <c>POST /v1/samples</c>:
/// <c>{"class": name | index | null, "n": 1…, "sampler": "ddim" | "ddpm" | "dpm++" | "euler", "steps": 1…T,
/// "spacing": "trailing" | "leading" | "linspace", "guidance": 0…, "eta": 0…1, "seed": ≥ 0}</c>,
/// every field optional (defaults: the library's <see cref="DiffusionSamplingOptions"/>, the checkpoint's guidance). Each problem is an <see cref="ApiError"/> naming the field; unknown fields are refused
/// (a typo would otherwise be silently ignored).
/// </summary>
public static class SampleBody
{
    static readonly string[] Fields = { "class", "n", "sampler", "steps", "spacing", "guidance", "eta", "seed" };

    /// <summary>The request described by <paramref name="body"/> (UTF-8 JSON; empty means every default).</summary>
    public static SampleRequest Parse(ReadOnlySpan<byte> body, ServedModel model, ServeOptions options)
    {
        JsonNode? root;
        try { root = body.IsEmpty ? new JsonObject() : JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { MaxDepth = 8 }); }
        catch (JsonException e) { throw ApiError.BadField("body", $"malformed JSON: {e.Message}"); }
        catch (ArgumentException e) { throw ApiError.BadField("body", $"malformed JSON: {e.Message}"); }
        if (root is not JsonObject o) throw ApiError.BadField("body", "the body must be a JSON object");
        foreach (var (k, _) in o)
            if (!Fields.Contains(k)) throw ApiError.BadField(k, $"unknown field '{k}'; the fields are: {string.Join(", ", Fields)}");

        int T = model.Schedule.T;
        int maxN = Math.Min(options.MaxSamples, options.Batching.MaxBatch);
        int n = Int(o, "n", 1, 1, maxN);
        int? label = Class(o["class"], model);
        var defaults = new DiffusionSamplingOptions();
        var sampler = Str(o, "sampler", Name(defaults.Sampler)) switch
        {
            "ddim" => SamplerKind.Ddim,
            "ddpm" or "ancestral" => SamplerKind.Ancestral,
            "dpm++" or "dpmsolver++" or "dpm-solver++" or "dpmpp" => SamplerKind.DpmSolverPP2M,
            "euler" => SamplerKind.Euler,
            var s => throw ApiError.BadField("sampler", $"sampler must be one of {string.Join(", ", Samplers)}, got \"{s}\"", Valid(Samplers)),
        };
        var spacing = Str(o, "spacing", defaults.Spacing.ToString().ToLowerInvariant()) switch
        {
            "trailing" => TimestepSpacing.Trailing,
            "leading" => TimestepSpacing.Leading,
            "linspace" => TimestepSpacing.Linspace,
            var s => throw ApiError.BadField("spacing", $"spacing must be one of trailing, leading, linspace, got \"{s}\"", Valid("trailing", "leading", "linspace")),
        };
        // "ddpm" without steps is Ho et al.'s Algorithm 2: every one of the T steps
        int steps = Int(o, "steps", sampler == SamplerKind.Ancestral ? T : Math.Min(defaults.Steps, T), 1, T);
        float guidance = Float(o, "guidance", model.Pipeline.DefaultGuidance, 0, options.MaxGuidance);
        float eta = Float(o, "eta", 0, 0, 1);
        ulong seed = o["seed"] is null ? (ulong)Random.Shared.NextInt64(0, 1L << 53) : Seed(o["seed"]!);
        if (label != null && model.Config.NumClasses == 0) throw ApiError.BadField("class", "the model is unconditional: leave class out or null");
        return new SampleRequest
        {
            Count = n, Label = label, Seed = seed,
            Options = new DiffusionSamplingOptions { Sampler = sampler, Steps = steps, Spacing = spacing, Guidance = guidance, Eta = eta },
        };
    }

    /// <summary>The sampler names the body accepts (first of each kind).</summary>
    public static readonly string[] Samplers = { "ddim", "ddpm", "dpm++", "euler" };

    /// <summary>The wire name of a sampler.</summary>
    public static string Name(SamplerKind k) => k switch
    {
        SamplerKind.Ddim => "ddim", SamplerKind.Ancestral => "ddpm", SamplerKind.DpmSolverPP2M => "dpm++", SamplerKind.Euler => "euler", _ => k.ToString(),
    };

    static JsonObject Valid(params string[] values) => new() { ["valid"] = new JsonArray(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray()) };

    /// <summary>A class given by name (case and punctuation ignored, or a unique prefix), by index, or null / "none".</summary>
    public static int? Class(JsonNode? node, ServedModel model)
    {
        if (node is null) return null;
        var names = model.ClassNames;
        var valid = Valid(names.ToArray());
        if (node is JsonValue v && v.TryGetValue(out JsonElement el))
        {
            if (el.ValueKind == JsonValueKind.Number)
            {
                if (el.TryGetInt32(out int i) && i >= 0 && i < names.Count) return i;
                throw ApiError.BadField("class", names.Count == 0 ? "the model is unconditional: leave class out or null" : $"class {el.GetRawText()} is not a class index in 0..{names.Count - 1}", valid);
            }
            if (el.ValueKind == JsonValueKind.String)
            {
                string text = el.GetString()!;
                string key = Norm(text);
                if (key is "" or "none") return null;
                if (int.TryParse(text, out int i) && i >= 0 && i < names.Count) return i;
                for (int k = 0; k < names.Count; k++) if (Norm(names[k]) == key) return k;
                var prefix = Enumerable.Range(0, names.Count).Where(k => Norm(names[k]).StartsWith(key, StringComparison.Ordinal)).ToList();
                if (prefix.Count == 1) return prefix[0];
                throw ApiError.BadField("class", $"unknown class \"{text}\"; the classes are: {string.Join(", ", names.Select((s, k) => $"{k} {s}"))}", valid);
            }
        }
        throw ApiError.BadField("class", "class must be a name, an index or null", valid);
    }

    static string Norm(string s) => new(s.ToLowerInvariant().Where(char.IsLetterOrDigit).ToArray());

    static JsonElement? Element(JsonObject o, string field) =>
        o[field] is JsonValue v && v.TryGetValue(out JsonElement el) ? el : o[field] is null ? null
        : throw ApiError.BadField(field, $"{field} must be a {(field is "sampler" or "spacing" ? "string" : "number")}");

    static int Int(JsonObject o, string field, int fallback, int min, int max)
    {
        if (Element(o, field) is not { } el) return fallback;
        if (el.ValueKind != JsonValueKind.Number || !el.TryGetDouble(out double d) || d != Math.Floor(d))
            throw ApiError.BadField(field, $"{field} must be an integer in {min}..{max}, got {el.GetRawText()}", Range(min, max));
        if (d < min || d > max) throw ApiError.BadField(field, $"{field} must be in {min}..{max}, got {el.GetRawText()}", Range(min, max));
        return (int)d;
    }

    static float Float(JsonObject o, string field, float fallback, float min, float max)
    {
        if (Element(o, field) is not { } el) return fallback;
        if (el.ValueKind != JsonValueKind.Number) throw ApiError.BadField(field, $"{field} must be a number in [{min}, {max}], got {el.GetRawText()}", Range(min, max));
        double d = el.GetDouble();
        if (!(d >= min && d <= max)) throw ApiError.BadField(field, $"{field} must be in [{min}, {max}], got {el.GetRawText()}", Range(min, max));
        return (float)d;
    }

    static string Str(JsonObject o, string field, string fallback)
    {
        if (Element(o, field) is not { } el) return fallback;
        if (el.ValueKind != JsonValueKind.String) throw ApiError.BadField(field, $"{field} must be a string, got {el.GetRawText()}");
        return el.GetString()!.ToLowerInvariant();
    }

    static ulong Seed(JsonNode node)
    {
        if (node is JsonValue v && v.TryGetValue(out JsonElement el) && el.ValueKind == JsonValueKind.Number && el.TryGetUInt64(out ulong s)) return s;
        throw ApiError.BadField("seed", $"seed must be an integer in 0..{ulong.MaxValue}, got {node.ToJsonString()}");
    }

    static JsonObject Range(double min, double max) => new() { ["min"] = min, ["max"] = max };

    /// <summary>Reads at most <paramref name="limit"/> bytes of a body; a longer one is an <see cref="ApiError"/> on "body".</summary>
    public static async Task<byte[]> ReadLimited(Stream body, long? contentLength, int limit, CancellationToken ct)
    {
        if (contentLength > limit) throw new ApiError(400, "body", $"the body is {contentLength} bytes; at most {limit} are accepted");
        var buf = new MemoryStream();
        var chunk = new byte[4096];
        int r;
        while ((r = await body.ReadAsync(chunk, ct)) > 0)
        {
            if (buf.Length + r > limit) throw new ApiError(400, "body", $"the body is over {limit} bytes, the most accepted");
            buf.Write(chunk, 0, r);
        }
        return buf.ToArray();
    }
}
