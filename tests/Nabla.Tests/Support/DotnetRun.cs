using System.Diagnostics;

namespace Nabla.Tests.Support;

/// <summary>Runs the `dotnet` command (or another program) in a child process, for the tests that build projects and packages.</summary>
public static class DotnetRun
{
    /// <summary>The repository root (the folder holding Nabla.slnx), found upwards from the test binaries.</summary>
    public static string RepoRoot
    {
        get
        {
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "Nabla.slnx"))) return d.FullName;
            throw new DirectoryNotFoundException($"no Nabla.slnx above {AppContext.BaseDirectory}");
        }
    }

    /// <summary>
    /// Runs <paramref name="program"/> with <paramref name="args"/> in <paramref name="workDir"/>; returns stdout + stderr and
    /// fails the test (with the output) on a non-zero exit or after <paramref name="timeoutSeconds"/>.
    /// </summary>
    public static string Run(string program, IEnumerable<string> args, string workDir, IReadOnlyDictionary<string, string>? env = null, int timeoutSeconds = 600)
    {
        var psi = new ProcessStartInfo(program) { WorkingDirectory = workDir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";     // no build servers left running after the test
        psi.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        if (env != null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutSeconds * 1000))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"{program} {string.Join(' ', psi.ArgumentList)} did not finish in {timeoutSeconds} s");
        }
        string output = stdout.Result + stderr.Result;
        Assert.True(p.ExitCode == 0, $"{program} {string.Join(' ', psi.ArgumentList)} exited with {p.ExitCode}:\n{Tail(output)}");
        return output;
    }

    static string Tail(string s) => s.Length > 6000 ? "…" + s[^6000..] : s;

    /// <summary>`dotnet` with the given arguments.</summary>
    public static string Dotnet(string workDir, IReadOnlyDictionary<string, string>? env, params string[] args) => Run("dotnet", args, workDir, env);
}
