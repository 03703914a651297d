namespace Nabla.Tests.Architecture;

/// <summary>
/// The one-way layering of Nabla, by namespace (sub-namespaces, e.g. <c>Nabla.IO.Onnx</c>, belong to their parent):
/// <code>
/// 0 Nabla.Kernels ← 1 Nabla (tensors) ← 2 Nabla.NN ← 3 Nabla.Optim, Nabla.Data, Nabla.IO ← 4 Nabla.Models
///   ← 5 Nabla.Diffusion, Nabla.Probabilistic, Nabla.TimeSeries ← 6 Nabla.Distributed, Nabla.Serve ← 7 Nabla.Cli
/// </code>
/// A namespace may use its own component and any lower layer; components of layer 3 may use each other; those of
/// layer 5 may not (each is its own field built on the models). Nothing uses a higher layer.
/// </summary>
public static class LayerRules
{
    static readonly (string Prefix, int Layer)[] Components =
    [
        ("Nabla.Kernels", 0),
        ("Nabla.NN", 2),
        ("Nabla.Optim", 3), ("Nabla.Data", 3), ("Nabla.IO", 3),
        ("Nabla.Models", 4),
        ("Nabla.Diffusion", 5), ("Nabla.Probabilistic", 5), ("Nabla.TimeSeries", 5),
        ("Nabla.Distributed", 6), ("Nabla.Serve", 6),
        ("Nabla.Cli", 7),
    ];

    /// <summary>Layers whose components may not use each other.</summary>
    static readonly HashSet<int> Exclusive = [5];

    /// <summary>The component (e.g. "Nabla.IO" for Nabla.IO.Onnx) and layer of a namespace; null when it is not one of Nabla's.</summary>
    public static (string Component, int Layer)? Of(string ns)
    {
        if (ns == "Nabla") return ("Nabla", 1);
        foreach (var (prefix, layer) in Components)
            if (ns == prefix || ns.StartsWith(prefix + ".", StringComparison.Ordinal)) return (prefix, layer);
        return null;
    }

    /// <summary>
    /// The references that break the layering, and (as violations too) those whose namespace has no layer: a new
    /// namespace must be placed in <see cref="Components"/> before it can be used.
    /// </summary>
    public static IReadOnlyList<string> Violations(IEnumerable<TypeReference> references)
    {
        var bad = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var r in references)
        {
            var from = Of(r.FromNamespace);
            var to = Of(r.ToNamespace);
            if (from is null) { bad.Add($"{r.From}: namespace '{r.FromNamespace}' has no layer"); continue; }
            if (to is null) { bad.Add($"{r.To}: namespace '{r.ToNamespace}' has no layer (used by {r.From})"); continue; }
            var (fc, fl) = from.Value;
            var (tc, tl) = to.Value;
            if (fc == tc || tl < fl) continue;
            if (tl == fl && !Exclusive.Contains(fl)) continue;
            bad.Add(tl > fl
                ? $"{r} ({fc}, layer {fl}, uses the higher {tc}, layer {tl})"
                : $"{r} ({fc} and {tc} are siblings of layer {fl} and may not use each other)");
        }
        return bad.ToList();
    }
}
