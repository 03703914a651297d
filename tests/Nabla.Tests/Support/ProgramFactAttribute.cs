namespace Nabla.Tests.Support;

/// <summary>
/// A fact that needs an outside program (mpirun, chromium, chromedriver, …): when none of the named programs is on
/// PATH the test is reported as skipped with the reason and what to install, never as passed.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ProgramFactAttribute : FactAttribute
{
    /// <param name="program">The executable looked up on PATH (first of several alternatives separated by '|').</param>
    /// <param name="install">What provides it, e.g. "apt-get install openmpi-bin".</param>
    public ProgramFactAttribute(string program, string install)
    {
        if (Find(program) == null) Skip = $"{program} not found on PATH ({install})";
    }

    /// <summary>The full path of the first of the '|'-separated programs found on PATH, or null.</summary>
    public static string? Find(string program)
    {
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        foreach (var name in program.Split('|'))
            foreach (var dir in dirs)
            {
                var full = Path.Combine(dir, name);
                if (File.Exists(full)) return full;
            }
        return null;
    }
}
