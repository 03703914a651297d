using System.Text.Json.Nodes;
using Nabla.Diffusion;
using Nabla.IO;

namespace Nabla.Serve;

/// <summary>How finished samples and previews travel: safetensors (base64 in JSON), PNG grids, 8-bit gray pixels.</summary>
public static class SampleResults
{
    /// <summary>The samples as a safetensors file: <c>samples</c> [n, C, H, W] in [−1, 1] and <c>labels</c> [n] (−1 = none).</summary>
    public static byte[] Safetensors(Tensor samples, SampleRequest r)
    {
        var labels = Enumerable.Repeat((long)(r.Label ?? -1), r.Count).ToArray();
        return new SafeTensorWriter().Add("samples", samples).AddInt64("labels", labels, r.Count)
            .AddMetadata("seed", r.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }

    /// <summary>Values in [−1, 1] as gray levels 0…255 (v ↦ round((v + 1)·127.5)).</summary>
    public static byte[] Gray(ReadOnlySpan<float> values)
    {
        var b = new byte[values.Length];
        for (int i = 0; i < b.Length; i++) b[i] = (byte)Math.Clamp(MathF.Round((values[i] + 1f) * 127.5f), 0f, 255f);
        return b;
    }

    /// <summary>What the request ran, as reported with its result.</summary>
    public static JsonObject Describe(SampleRequest r, ServedModel model) => new()
    {
        ["n"] = r.Count,
        ["class"] = r.Label is int c ? model.ClassNames[c] : null,
        ["label"] = r.Label,
        ["sampler"] = SampleBody.Name(r.Options.Sampler),
        ["steps"] = r.Options.Steps,
        ["spacing"] = r.Options.Spacing.ToString().ToLowerInvariant(),
        ["guidance"] = r.Label == null ? 0 : model.Pipeline.GuidanceOf(r.Options),
        ["eta"] = r.Options.Eta,
        ["seed"] = r.Seed,
        ["shape"] = new JsonArray(r.Count, model.Config.InChannels, model.Config.ImageSize, model.Config.ImageSize),
    };

    /// <summary>The JSON answer of <c>POST /v1/samples</c>: the description plus the samples as base64 safetensors.</summary>
    public static JsonObject Json(Tensor samples, SampleRequest r, ServedModel model)
    {
        var o = Describe(r, model);
        o["format"] = "safetensors";
        o["safetensors"] = Convert.ToBase64String(Safetensors(samples, r));
        return o;
    }
}
