using System.CommandLine;
using Nabla.Cli.Commands;

var root = new RootCommand("nabla — neural networks and generative models in C#");
root.Subcommands.Add(ExampleCommand.Create());
root.Subcommands.Add(DdpmCommand.Create());
return root.Parse(args).Invoke();
