using System.Text.RegularExpressions;

namespace Nabla.Tests.Architecture;

/// <summary>
/// The source layout: one folder per namespace (a file in <c>src/ASM/A/B/F.cs</c> declares <c>ASM.A</c> or
/// <c>ASM.A.B</c> — a sub-folder may group files of its parent's namespace or hold a sub-namespace; the tensor
/// layer's folder <c>src/Nabla/Tensors</c> is the root namespace <c>Nabla</c>) and no file over
/// <see cref="MaxLines"/> lines.
/// </summary>
public static partial class LayoutRules
{
    public const int MaxLines = 400;

    [GeneratedRegex(@"^\s*namespace\s+([\w.]+)", RegexOptions.Multiline)]
    private static partial Regex NamespaceLine();

    /// <summary>The repository root (the folder holding <c>src/Nabla</c>), found upwards from the test binaries.</summary>
    public static string RepositoryRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (Directory.Exists(Path.Combine(d.FullName, "src", "Nabla")) && Directory.Exists(Path.Combine(d.FullName, "tests"))) return d.FullName;
        throw new DirectoryNotFoundException($"no folder above {AppContext.BaseDirectory} holds src/Nabla and tests/");
    }

    /// <summary>Every C# source file under <paramref name="srcDir"/> (build outputs excluded), as paths relative to it with '/' separators.</summary>
    public static IEnumerable<string> SourceFiles(string srcDir) =>
        Directory.EnumerateFiles(srcDir, "*.cs", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(srcDir, f).Replace('\\', '/'))
            .Where(f => !f.Split('/').Any(part => part is "bin" or "obj"))
            .OrderBy(f => f, StringComparer.Ordinal);

    /// <summary>The namespace a file declares (the first <c>namespace</c> line), or null for none (top-level statements).</summary>
    public static string? DeclaredNamespace(string text) => NamespaceLine().Match(text) is { Success: true } m ? m.Groups[1].Value : null;

    /// <summary>The namespaces a file at <paramref name="relativePath"/> (under src/) may declare.</summary>
    public static IReadOnlyList<string> AllowedNamespaces(string relativePath)
    {
        var parts = relativePath.Split('/');
        string assembly = parts[0];
        var folders = parts[1..^1].Select(f => assembly == "Nabla" && f == "Tensors" && f == parts[1] ? "" : f).ToArray();
        var allowed = new List<string>();
        if (folders.Length == 0) allowed.Add(assembly);
        for (int k = 1; k <= folders.Length; k++)
            allowed.Add(string.Join('.', new[] { assembly }.Concat(folders[..k]).Where(s => s.Length > 0)));
        return allowed;
    }

    /// <summary>"path: declares N, expected one of …" for each file whose namespace does not match its folder.</summary>
    public static IReadOnlyList<string> NamespaceMismatches(IEnumerable<(string RelativePath, string? Namespace)> files)
    {
        var bad = new List<string>();
        foreach (var (path, ns) in files)
        {
            if (ns is null && path.Count(c => c == '/') == 1) continue;   // an assembly's Program.cs (top-level statements)
            var allowed = AllowedNamespaces(path);
            if (ns is null || !allowed.Contains(ns)) bad.Add($"{path}: declares {ns ?? "no namespace"}, expected {string.Join(" or ", allowed)}");
        }
        return bad;
    }

    /// <summary>"path: N lines" for each file longer than <see cref="MaxLines"/>.</summary>
    public static IReadOnlyList<string> LongFiles(IEnumerable<(string RelativePath, int Lines)> files) =>
        files.Where(f => f.Lines > MaxLines).Select(f => $"{f.RelativePath}: {f.Lines} lines").ToList();
}
