using System.CommandLine;
using System.CommandLine.Parsing;

namespace Nabla.Cli;

/// <summary>
/// The one error contract of every `nabla` command: usage and input errors (bad options, missing or malformed files)
/// print <c>nabla COMMAND: message</c> on stderr and exit 2; runtime failures (a write that fails, a diverged run, an
/// unexpected exception) exit 1 with the same prefix; Ctrl-C exits 130 (after the command has saved what it could).
/// </summary>
public static class CliErrors
{
    public const int Ok = 0, Failure = 1, Usage = 2, Interrupted = 130;

    static int ctrlC;

    /// <summary>True once Ctrl-C was pressed in this process.</summary>
    public static bool CtrlCPressed => Volatile.Read(ref ctrlC) != 0;

    /// <summary>Notes Ctrl-C presses (the commands' own handlers decide whether the process goes on to save).</summary>
    public static void ListenForCtrlC() => Console.CancelKeyPress += (_, _) => Interlocked.Exchange(ref ctrlC, 1);

    /// <summary>"nabla ddpm train" for a parse result's command.</summary>
    public static string CommandName(ParseResult parse)
    {
        var names = new List<string>();
        for (var c = parse.CommandResult; c != null; c = c.Parent as CommandResult)
            if (c.Parent != null) names.Insert(0, c.Command.Name);
        return string.Join(" ", names.Prepend("nabla"));
    }

    /// <summary>Parses and runs a command line under the contract.</summary>
    public static int Invoke(ParseResult parse, TextWriter? stderr = null)
    {
        stderr ??= Console.Error;
        string name = CommandName(parse);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors) stderr.WriteLine($"{name}: {e.Message}");
            stderr.WriteLine($"{name}: see `{name} --help`");
            return Usage;
        }
        return Run(name, () => parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Error = stderr }), stderr);
    }

    /// <summary>Runs a command body: exceptions become the contract's message and exit code; a body that returns 0
    /// after Ctrl-C (it saved and stopped) exits 130.</summary>
    public static int Run(string name, Func<int> body, TextWriter? stderr = null)
    {
        if (!name.StartsWith("nabla", StringComparison.Ordinal)) name = "nabla " + name;
        int code;
        try { code = body(); }
        catch (Exception e)
        {
            var (c, text) = Classify(e);
            (stderr ?? Console.Error).WriteLine($"{name}: {text}");
            return c;
        }
        return code == Ok && CtrlCPressed ? Interrupted : code;
    }

    /// <summary>The exit code and the one-line message of an exception that ended a command.</summary>
    public static (int Code, string Message) Classify(Exception e) => e switch
    {
        OperationCanceledException => (Interrupted, "cancelled"),
        AggregateException { InnerExceptions.Count: 1 } a => Classify(a.InnerException!),
        ArgumentException a => (Usage, a.ParamName is { } p ? a.Message.Replace($" (Parameter '{p}')", "") : a.Message),
        FormatException or InvalidDataException or Nabla.IO.DataFormatException or FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException
            or System.Text.Json.JsonException => (Usage, e.Message),
        IOException => (Failure, e.Message),
        _ => (Failure, $"internal error ({e.GetType().Name}): {e.Message}"),
    };
}
