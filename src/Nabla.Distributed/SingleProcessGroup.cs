namespace Nabla.Distributed;

/// <summary>A group of one process: every collective is the identity, so code written for N processes runs unchanged.</summary>
public sealed class SingleProcessGroup : IProcessGroup
{
    public int Rank => 0;
    public int WorldSize => 1;
    public string Description => "one process";
    public void Broadcast(Span<float> buffer, int root = 0) => CheckRoot(root);
    public void Broadcast(Span<byte> buffer, int root = 0) => CheckRoot(root);
    public void AllReduceSum(Span<float> buffer) { }
    public void Barrier() { }
    public void Abort(int exitCode) => Environment.Exit(exitCode);
    public void Dispose() { }

    static void CheckRoot(int root)
    {
        if (root != 0) throw new ArgumentOutOfRangeException(nameof(root), $"Broadcast: root {root} is not a rank of a one-process group");
    }
}
