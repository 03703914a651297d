namespace Nabla.Distributed;

/// <summary>
/// The processes started by <c>mpirun</c> (MPI_COMM_WORLD), on Open MPI's libmpi loaded at run time. Every call must
/// come from the thread that created the group (MPI_THREAD_FUNNELED). <see cref="Dispose"/> calls MPI_Finalize, which
/// waits for every rank: after an error call <see cref="Abort"/> instead, so the other ranks are not left waiting.
/// </summary>
public sealed unsafe class MpiProcessGroup : IProcessGroup
{
    /// <summary>Largest element count of one MPI call (MPI counts are 32-bit); longer spans are sent in pieces.</summary>
    const int MaxCount = 1 << 30;
    readonly MpiNative mpi;
    bool disposed;

    public int Rank { get; }
    public int WorldSize { get; }
    public string Description { get; }

    /// <summary>Initialises MPI. Throws <see cref="MpiUnavailableException"/> when libmpi is missing or the process was not started by mpirun.</summary>
    public MpiProcessGroup()
    {
        if (!MpiLaunch.StartedByMpirun)
            throw new MpiUnavailableException("MPI was asked for but this process was not started by mpirun: run it as `mpirun -np N " + MpiLaunch.CommandLineHint + "` (as root add --allow-run-as-root)");
        mpi = MpiNative.Load();
        if (!mpi.IsInitialized) mpi.InitThread(MpiNative.ThreadFunneled);
        Rank = mpi.Rank;
        WorldSize = mpi.Size;
        Description = $"Open MPI ({mpi.LibraryName}), rank {Rank} of {WorldSize} on {mpi.ProcessorName}";
    }

    public void Broadcast(Span<float> buffer, int root = 0)
    {
        CheckRoot(root);
        fixed (float* p = buffer)
            for (int o = 0; o < buffer.Length; o += MaxCount) mpi.Bcast(p + o, Math.Min(MaxCount, buffer.Length - o), mpi.Float, root);
    }

    public void Broadcast(Span<byte> buffer, int root = 0)
    {
        CheckRoot(root);
        fixed (byte* p = buffer)
            for (int o = 0; o < buffer.Length; o += MaxCount) mpi.Bcast(p + o, Math.Min(MaxCount, buffer.Length - o), mpi.Byte, root);
    }

    public void AllReduceSum(Span<float> buffer)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        fixed (float* p = buffer)
            for (int o = 0; o < buffer.Length; o += MaxCount) mpi.AllReduceInPlace(p + o, Math.Min(MaxCount, buffer.Length - o), mpi.Float, mpi.OpSum);
    }

    public void Barrier() { ObjectDisposedException.ThrowIf(disposed, this); mpi.Barrier(); }

    /// <summary>MPI_Abort: mpirun ends every rank (with its own notice naming this rank and the code).</summary>
    public void Abort(int exitCode)
    {
        Console.Out.Flush(); Console.Error.Flush();
        mpi.Abort(exitCode);
        Environment.Exit(exitCode);
    }

    void CheckRoot(int root)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (root < 0 || root >= WorldSize) throw new ArgumentOutOfRangeException(nameof(root), $"Broadcast: root {root} is not a rank of this {WorldSize}-process group");
    }

    /// <summary>MPI_Finalize (waits for every rank to get here).</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        if (!mpi.IsFinalized) mpi.Finalize();
    }
}
