using System.CommandLine;
using Nabla.Cli.Commands;

namespace Nabla.Cli;

/// <summary>The `nabla` command tree (Program.cs runs it under <see cref="CliErrors"/>).</summary>
public static class CliApp
{
    public static RootCommand Root()
    {
        var root = new RootCommand("nabla — neural networks and generative models in C#");
        root.Subcommands.Add(ExampleCommand.Create());
        root.Subcommands.Add(DdpmCommand.Create());
        root.Subcommands.Add(GmmCommand.Create());
        root.Subcommands.Add(ArCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        foreach (var c in new[] { MlpCommand.Create(), AeCommand.Create(), VaeCommand.Create() }) root.Subcommands.Add(c);
        return root;
    }

    /// <summary>Runs a command line in this process (stdout and stderr as given), under the error contract.</summary>
    public static int Run(string[] args, TextWriter? stderr = null) => CliErrors.Invoke(Root().Parse(args), stderr);
}
