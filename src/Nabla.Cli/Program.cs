using Nabla.Cli;

CliErrors.ListenForCtrlC();
return CliErrors.Invoke(CliApp.Root().Parse(args));
