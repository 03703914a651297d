using System.Numerics.Tensors;
using Nabla.Optim;

namespace Nabla.Distributed;

/// <summary>Settings of <see cref="DistributedDataParallel"/>.</summary>
public sealed record DataParallelOptions
{
    /// <summary>Gradient bytes per all-reduce (PyTorch's bucket_cap_mb): large enough to amortise the latency, small enough to pipeline.</summary>
    public int BucketBytes { get; init; } = 4 << 20;
    /// <summary>Compare a checksum of the parameters across ranks every this many steps (0 = never).</summary>
    public int ChecksumEvery { get; init; } = 50;

    public void Validate()
    {
        if (BucketBytes < 4) throw new ArgumentException($"DataParallelOptions: BucketBytes must be ≥ 4, got {BucketBytes}");
        if (ChecksumEvery < 0) throw new ArgumentException($"DataParallelOptions: ChecksumEvery must be ≥ 0, got {ChecksumEvery}");
    }
}

/// <summary>
/// Data-parallel training over a process group, as PyTorch's DistributedDataParallel: rank r computes shard r of
/// the N shards of each step; rank 0's parameters and buffers are broadcast at the start; after the backward pass
/// the gradients are averaged, g ← (1/N) Σ_r g_r, by all-reduce in buckets of about <see cref="DataParallelOptions.BucketBytes"/>
/// taken in registration-reverse order (the order backward finishes them); every rank then steps the same optimizer
/// on the same gradients, so the parameters stay bitwise equal, which a 64-bit checksum compared every
/// <see cref="DataParallelOptions.ChecksumEvery"/> steps verifies. Normalisation statistics stay local (plain BatchNorm
/// in DDP). The buckets are reduced after the backward pass, not overlapped with it: on CPUs the all-reduce of the
/// whole model costs well under 1 % of a step (see the README's scaling section).
/// </summary>
public sealed class DistributedDataParallel : IDataParallel
{
    readonly IProcessGroup group;
    readonly DataParallelOptions options;
    readonly int[] localShards;
    const int SumsSlack = 8;   // room for the scalars after the last bucket's gradients
    Tensor[]? layoutOf;
    List<(int first, int count, float[] buffer)> buckets = new();

    public DistributedDataParallel(IProcessGroup group, DataParallelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(group);
        this.group = group;
        this.options = options ?? new DataParallelOptions();
        this.options.Validate();
        localShards = new[] { group.Rank };
    }

    public IProcessGroup Group => group;
    public int Rank => group.Rank;
    public int WorldSize => group.WorldSize;
    public int ShardCount => group.WorldSize;
    public IReadOnlyList<int> LocalShards => localShards;
    public bool IsWriter => group.Rank == 0;

    /// <summary>Every rank finds out together whether any rank has <paramref name="bad"/> set.</summary>
    int CountTrue(bool bad)
    {
        Span<float> f = stackalloc float[] { bad ? 1 : 0 };
        group.AllReduceSum(f);
        return (int)f[0];
    }

    public void Broadcast(IReadOnlyList<Tensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        Span<long> layout = stackalloc long[] { tensors.Count, tensors.Sum(t => (long)t.Size) };
        Span<long> root = stackalloc long[2];
        layout.CopyTo(root);
        group.Broadcast(System.Runtime.InteropServices.MemoryMarshal.AsBytes(root));
        int bad = CountTrue(!root.SequenceEqual(layout));
        if (bad > 0) throw new InvalidOperationException($"DistributedDataParallel: {bad} rank(s) hold a different model than rank 0 (rank 0: {root[0]} tensors, {root[1]:N0} values; rank {Rank}: {layout[0]} tensors, {layout[1]:N0} values) — start every rank with the same options");
        foreach (var t in tensors) group.Broadcast(t.Data);
    }

    public byte[]? BroadcastBytes(byte[]? bytes)
    {
        Span<long> len = stackalloc long[] { IsWriter ? bytes?.LongLength ?? -1 : 0 };
        group.Broadcast(System.Runtime.InteropServices.MemoryMarshal.AsBytes(len));
        if (len[0] < 0) return null;
        var buf = IsWriter ? bytes! : new byte[len[0]];
        group.Broadcast(buf);
        return buf;
    }

    /// <summary>Groups the parameters, last registered first, into buckets of about BucketBytes (one parameter may fill a bucket alone).</summary>
    void BuildBuckets(Tensor[] ps)
    {
        buckets = new();
        int cap = Math.Max(1, options.BucketBytes / sizeof(float));
        int i = ps.Length - 1;
        while (i >= 0)
        {
            int last = i; long n = 0;
            while (i >= 0 && (n == 0 || n + ps[i].Size <= cap)) { n += ps[i].Size; i--; }
            buckets.Add((i + 1, last - i, new float[n + SumsSlack]));
        }
        layoutOf = ps;
    }

    public void AverageGradients(IReadOnlyList<Tensor> parameters, Span<float> sums)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var ps = parameters as Tensor[] ?? parameters.ToArray();
        if (!ReferenceEquals(ps, layoutOf)) BuildBuckets(ps);
        float scale = 1f / WorldSize;
        for (int b = 0; b < buckets.Count; b++)
        {
            var (first, count, buffer) = buckets[b];
            bool withSums = b == buckets.Count - 1 && sums.Length > 0;   // the scalars ride on the last bucket
            int n = buffer.Length - SumsSlack;
            var flat = withSums && sums.Length > SumsSlack ? new float[n + sums.Length] : buffer;
            var send = flat.AsSpan(0, n + (withSums ? sums.Length : 0));
            int o = 0;
            for (int j = first + count - 1; j >= first; j--)
            {
                var p = ps[j];
                if (p.Grad is { } g) g.Data.CopyTo(flat.AsSpan(o)); else flat.AsSpan(o, p.Size).Clear();
                o += p.Size;
            }
            if (withSums) sums.CopyTo(flat.AsSpan(o));
            group.AllReduceSum(send);
            o = 0;
            for (int j = first + count - 1; j >= first; j--)
            {
                var p = ps[j];
                if (p.Grad is { } g) TensorPrimitives.Multiply(flat.AsSpan(o, p.Size), scale, g.Data);
                o += p.Size;
            }
            if (withSums) flat.AsSpan(o, sums.Length).CopyTo(sums);
        }
        if (buckets.Count == 0 && sums.Length > 0) group.AllReduceSum(sums);
    }

    /// <summary>A 64-bit hash of the parameters' bits (FNV-1a over 32-bit words).</summary>
    public static ulong Checksum(IReadOnlyList<Tensor> parameters)
    {
        ulong h = 0xCBF29CE484222325UL;
        foreach (var p in parameters)
            foreach (var v in System.Runtime.InteropServices.MemoryMarshal.Cast<float, uint>(p.Data)) h = (h ^ v) * 0x100000001B3UL;
        return h;
    }

    public void AfterStep(IReadOnlyList<Tensor> parameters, int step)
    {
        if (options.ChecksumEvery == 0 || step % options.ChecksumEvery != 0 || WorldSize == 1) return;
        CheckInSync(parameters, step);
    }

    /// <summary>Compares the parameters' checksum with rank 0's; every rank throws <see cref="DataParallelDivergenceException"/> when any differs.</summary>
    public void CheckInSync(IReadOnlyList<Tensor> parameters, int step)
    {
        ulong mine = Checksum(parameters);
        Span<ulong> root = stackalloc ulong[] { mine };
        group.Broadcast(System.Runtime.InteropServices.MemoryMarshal.AsBytes(root));
        int bad = CountTrue(root[0] != mine);
        if (bad > 0)
            throw new DataParallelDivergenceException(step, $"data-parallel training diverged: after step {step} the parameters of {bad} of {WorldSize} ranks differ from rank 0's (checksum {mine:x16} on rank {Rank}, {root[0]:x16} on rank 0); the ranks no longer train one model");
    }
}
