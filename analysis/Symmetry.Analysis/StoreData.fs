namespace Symmetry.Analysis

open System
open System.Collections.Generic
open System.IO
open Microsoft.Data.Sqlite
open Symmetry.Core.Results

/// Everything an analysis reads from a results store, read in a fixed handful of queries whatever the number of runs.
type StoreData =
    { /// Absolute path of the database file.
      Path: string
      /// Every run, oldest first.
      Runs: IReadOnlyList<RunRecord>
      /// Run id → the experiment state it ended in.
      RunStates: IReadOnlyDictionary<string, string>
      /// Every metric row, by run, step, split and name.
      Metrics: IReadOnlyList<MetricRow>
      /// Every best-snapshot row, by run, criterion and name.
      Best: IReadOnlyList<BestRow>
      /// Every mask-statistics row (model and layers), by run, stage and layer.
      MaskStats: IReadOnlyList<MaskStatRow>
      /// Every experiment state.
      States: IReadOnlyList<StateRecord> }

/// Reading a results store for analysis.
module StoreData =

    /// Reads the store at `path` (migrating an older one as every open does). A missing file, a file that is not a
    /// results store, and a store without runs are refused with one line that names the way out
    /// (`ArgumentException`), unchanged; a store newer than this library with `NotSupportedException`. Nothing is
    /// created; an older store is migrated.
    let read (path: string) : StoreData =
        let full = Path.GetFullPath path
        if not (File.Exists full) then
            raise (ArgumentException(sprintf "no results store at %s: run the main job first (dotnet fsi build.fsx run) or name a store with --db" path))
        let version =
            try ResultsStore.ReadSchemaVersion full
            with :? SqliteException as e -> raise (ArgumentException(sprintf "%s is not a results store (SQLite: %s)" path e.Message))
        // Opening a foreign SQLite file would add the store's tables to it: refuse it untouched.
        if version = 0 && FileInfo(full).Length > 0L then
            raise (ArgumentException(sprintf "%s is an SQLite file but not a results store (it has no schema_version table)" path))
        use store = ResultsStore.Open full
        let runs = store.Runs()
        if runs.Count = 0 then
            raise (ArgumentException(sprintf "results store %s holds no runs yet: run the main job first (dotnet fsi build.fsx run)" path))
        { Path = full
          Runs = runs
          RunStates = store.RunStates()
          Metrics = store.AllMetrics()
          Best = store.AllBest()
          MaskStats = store.AllMaskStats()
          States = store.States() }

    /// Only the runs in `runIds`, with their metrics, snapshots, mask statistics and links (every state is kept).
    let only (runIds: string seq) (data: StoreData) : StoreData =
        let keep = Collections.Generic.HashSet<string>(runIds, StringComparer.Ordinal)
        { data with
            Runs = data.Runs |> Seq.filter (fun r -> keep.Contains r.Id) |> Array.ofSeq
            RunStates = data.RunStates |> Seq.filter (fun kv -> keep.Contains kv.Key) |> Seq.map (fun kv -> kv.Key, kv.Value) |> dict |> Collections.ObjectModel.ReadOnlyDictionary
            Metrics = data.Metrics |> Seq.filter (fun m -> keep.Contains m.RunId) |> Array.ofSeq
            Best = data.Best |> Seq.filter (fun b -> keep.Contains b.RunId) |> Array.ofSeq
            MaskStats = data.MaskStats |> Seq.filter (fun s -> keep.Contains s.RunId) |> Array.ofSeq }
