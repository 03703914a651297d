using System.Runtime.InteropServices;
using Nabla.Distributed;
using Nabla.Optim;

namespace Nabla.Cli.Commands;

/// <summary>
/// A training command's place in a data-parallel job: the process group (MPI under mpirun or with
/// `--distributed mpi`, else one process) and its <see cref="IDataParallel"/>. Only rank 0 writes to the console and to
/// files; errors are printed by the rank that has them. When mpirun ends the job (another rank died, or the job was
/// interrupted) a rank prints why and exits at once; the checkpoint, written atomically by rank 0, stays intact.
/// </summary>
internal sealed class DistributedRun : IDisposable
{
    readonly IProcessGroup group;
    readonly PosixSignalRegistration? onTerm;
    readonly TextWriter? stdout;
    bool failed;

    public IDataParallel Parallel { get; }
    public int Rank => group.Rank;
    public int WorldSize => group.WorldSize;
    public bool IsWriter => group.Rank == 0;

    DistributedRun(IProcessGroup group, string command, string? checkpoint)
    {
        this.group = group;
        Parallel = group.WorldSize == 1 ? LocalDataParallel.Single : new DistributedDataParallel(group);
        if (group.WorldSize > 1)
        {
            if (!IsWriter) { stdout = Console.Out; Console.SetOut(TextWriter.Null); }
            onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
            {
                ctx.Cancel = true;
                Console.Error.WriteLine($"nabla {command} (rank {Rank} of {WorldSize}): stopped by mpirun (another rank ended or the job was interrupted)" +
                    (checkpoint != null && File.Exists(checkpoint) ? $"; the last checkpoint, {checkpoint}, is intact" : ""));
                Console.Error.Flush();
                Environment.Exit(143);
            });
        }
    }

    /// <summary>Joins the job (<paramref name="mode"/>: auto, none or mpi). Throws <see cref="MpiUnavailableException"/> saying what to install or run.</summary>
    public static DistributedRun Start(string mode, string command, string? checkpoint = null)
    {
        var group = MpiLaunch.CreateGroup(MpiLaunch.ParseMode(mode));
        return new DistributedRun(group, command, checkpoint);
    }

    /// <summary>The `--distributed` option of a training command.</summary>
    public static System.CommandLine.Option<string> ModeOption() =>
        new("--distributed") { Description = "auto (MPI when started by mpirun), none, or mpi: data-parallel over the ranks of `mpirun -np N`; --batch is per rank", DefaultValueFactory = _ => "auto" };

    /// <summary>What Ctrl-C does, for the "output:" line.</summary>
    public string CtrlCHint => WorldSize == 1 ? "(Ctrl-C saves and stops)" : "(Ctrl-C stops every rank; the last checkpoint is kept)";

    /// <summary>"batch 32 per rank × 2 ranks = 64" (or "batch 64").</summary>
    public string DescribeBatch(int perRank) => WorldSize == 1 ? $"batch {perRank}" : $"batch {perRank} per rank × {WorldSize} ranks = {perRank * WorldSize}";

    /// <summary>Records the exit code; after an error (not 0, 1 or 130) <see cref="Dispose"/> ends every rank (MPI_Abort) instead of waiting for them in MPI_Finalize.</summary>
    public int Finish(int exitCode)
    {
        if (exitCode is not (0 or 1 or 130)) failed = true;   // 1 (diverged) and 130 (cancelled) are reached by every rank together
        return exitCode;
    }

    public void Dispose()
    {
        onTerm?.Dispose();
        if (stdout != null) Console.SetOut(stdout);
        if (failed && WorldSize > 1) group.Abort(2);
        group.Dispose();
    }

    /// <summary>Runs a training command inside a data-parallel job: <see cref="TrainingRun.Guard"/> plus the MPI errors, and an abort of every rank when this one fails.</summary>
    public static int Guard(string name, string mode, string? checkpoint, Func<DistributedRun, int> body)
    {
        DistributedRun? run = null;
        int code = TrainingRun.Guard(name, () =>
        {
            try { run = Start(mode, name, checkpoint); }
            catch (MpiUnavailableException e) { Console.Error.WriteLine($"nabla {name}: {e.Message}"); return 2; }
            try { return run.Finish(body(run)); }
            catch (DataParallelDivergenceException e) { Console.Error.WriteLine($"nabla {name} (rank {run.Rank}): {e.Message}"); return run.Finish(3); }
            catch { run.Finish(2); throw; }
        });
        if (run != null) { run.Finish(code); run.Dispose(); }
        return code;
    }
}
