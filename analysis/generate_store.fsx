// A store of made-up weight-symmetry runs with the driver's record shapes (SyntheticStore), to measure or try the
// analysis without training: mask types × sparsities × seeds, in that order, until --runs runs.
//   dotnet fsi analysis/generate_store.fsx --runs 10000 --db build/bench/runs-10000.db [--epochs 2] [--seed 1]
#load "_prelude.fsx"
open Symmetry
open Symmetry.Analysis

let flags = Flags.OfScript fsi.CommandLineArgs
let runs = flags.Int("runs", 1000)
let db = flags.String("db", "build/bench/synthetic.db")
let epochs = flags.Int("epochs", 2)
let seed = flags.Int("seed", 1)
let sparsities = flags.List("sparsities", float, [ 0.5; 0.6; 0.7; 0.75; 0.8; 0.85; 0.875; 0.9 ])
flags.Finish()
if runs < 1 || epochs < 1 then Flags.Fail "--runs and --epochs must be at least 1"

let clock = System.Diagnostics.Stopwatch.StartNew()
SyntheticStore.write db runs sparsities epochs seed
printfn "wrote %d synthetic runs to %s in %.1f s" runs db clock.Elapsed.TotalSeconds
