return Symmetry.Cli.SymmetryTool.Run(args);
