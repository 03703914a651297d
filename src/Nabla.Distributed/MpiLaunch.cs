namespace Nabla.Distributed;

/// <summary>Which process group a program should use.</summary>
public enum DistributedMode
{
    /// <summary>MPI when the process was started by mpirun, else one process.</summary>
    Auto,
    /// <summary>Always one process.</summary>
    None,
    /// <summary>MPI, or an error saying how to install or start it.</summary>
    Mpi,
}

/// <summary>How the process was launched, read from the environment mpirun gives each rank.</summary>
public static class MpiLaunch
{
    /// <summary>True when mpirun (Open MPI: OMPI_COMM_WORLD_SIZE; PMIx launchers: PMIX_RANK) started this process.</summary>
    public static bool StartedByMpirun =>
        !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE")) ||
        !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("PMIX_RANK"));

    /// <summary>The rank mpirun assigned (from the environment, before MPI is initialised), or 0.</summary>
    public static int EnvironmentRank =>
        int.TryParse(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_RANK") ?? Environment.GetEnvironmentVariable("PMIX_RANK"), out var r) ? r : 0;

    internal static string CommandLineHint
    {
        get
        {
            var args = Environment.GetCommandLineArgs();
            var host = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? "dotnet " : "";
            return host + string.Join(' ', args.Select(a => a.Contains(' ') ? $"'{a}'" : a));
        }
    }

    /// <summary>
    /// The process group for <paramref name="mode"/>: <see cref="MpiProcessGroup"/> for Mpi (and for Auto under
    /// mpirun), else <see cref="SingleProcessGroup"/>. Throws <see cref="MpiUnavailableException"/> when MPI is asked
    /// for and cannot be used.
    /// </summary>
    public static IProcessGroup CreateGroup(DistributedMode mode) => mode switch
    {
        DistributedMode.None => new SingleProcessGroup(),
        DistributedMode.Mpi => new MpiProcessGroup(),
        DistributedMode.Auto => StartedByMpirun ? new MpiProcessGroup() : new SingleProcessGroup(),
        _ => throw new ArgumentOutOfRangeException(nameof(mode), $"CreateGroup: unknown mode {mode}"),
    };

    /// <summary>Parses "auto", "none" or "mpi".</summary>
    public static DistributedMode ParseMode(string s) => s.ToLowerInvariant() switch
    {
        "auto" => DistributedMode.Auto,
        "none" or "off" => DistributedMode.None,
        "mpi" => DistributedMode.Mpi,
        _ => throw new ArgumentException($"distributed mode must be auto, none or mpi, got '{s}'"),
    };
}
