namespace Symmetry.Analysis

open System
open Deedle

/// The queries users repeat, one call each, over the frames of `Frames`.
module Queries =

    /// A column of group values, typed when every value has one type (float, int64, string…), else obj.
    let private groupColumn (values: (int * obj) array) : ISeries<int> =
        let typed (cast: obj -> 'T) = Columns.series (values |> Array.map (fun (i, v) -> i, cast v))
        match values |> Array.map (snd >> _.GetType()) |> Array.distinct with
        | [| t |] when t = typeof<float> -> typed unbox<float>
        | [| t |] when t = typeof<int64> -> typed unbox<int64>
        | [| t |] when t = typeof<int> -> typed unbox<int>
        | [| t |] when t = typeof<string> -> typed unbox<string>
        | [| t |] when t = typeof<bool> -> typed unbox<bool>
        | _ -> Columns.series values

    /// Mean, sample standard deviation (n − 1; NaN, which Deedle shows as missing, for one row) and count of `value` for each combination of the
    /// `groups` columns, sorted by the group values. Rows missing a group value or the value are left out. Columns: the
    /// group columns, `n`, `mean`, `std`.
    let meanStd (groups: string list) (value: string) (frame: Frame<'R, string>) : Frame<int, string> =
        let groupSeries = groups |> List.map (fun g -> frame.GetColumn<obj> g)
        let values = frame.GetColumn<float> value
        let rows =
            frame.RowKeys
            |> Seq.choose (fun key ->
                let keys = groupSeries |> List.map (fun s -> s.TryGet key |> OptionalValue.asOption)
                match values.TryGet key |> OptionalValue.asOption with
                | Some v when keys |> List.forall Option.isSome && not (Double.IsNaN v) -> Some(keys |> List.map Option.get, v)
                | _ -> None)
            |> Seq.groupBy fst
            |> Seq.map (fun (keys, xs) ->
                let xs = xs |> Seq.map snd |> Array.ofSeq
                let mean = Array.average xs
                let std = if xs.Length < 2 then nan else sqrt ((xs |> Array.sumBy (fun x -> (x - mean) ** 2.0)) / float (xs.Length - 1))
                keys, xs.Length, mean, std)
            |> Seq.sortWith (fun (a, _, _, _) (b, _, _, _) -> List.compareWith (fun x y -> Collections.Comparer.Default.Compare(x, y)) a b)
            |> Array.ofSeq
        let index = [| 0 .. rows.Length - 1 |]
        let groupColumns =
            groups |> List.mapi (fun g name -> name, groupColumn (rows |> Array.mapi (fun i (keys, _, _, _) -> i, List.item g keys)))
        Columns.frame index
            (groupColumns
             @ [ "n", Columns.series (rows |> Array.mapi (fun i (_, n, _, _) -> i, n))
                 "mean", Columns.series (rows |> Array.mapi (fun i (_, _, m, _) -> i, m))
                 "std", Columns.series (rows |> Array.mapi (fun i (_, _, _, s) -> i, s)) ])

    /// Mean ± std over seeds of `value` per experiment, mask type and requested sparsity (finished mask-driver runs).
    let byMaskAndSparsity (value: string) (runs: Frame<string, string>) : Frame<int, string> =
        let finished = runs |> Frame.filterRowValues (fun row -> row.TryGetAs<string>("status") |> OptionalValue.asOption = Some "finished")
        if not (finished.ColumnKeys |> Seq.contains Column.MaskType && finished.ColumnKeys |> Seq.contains Column.Sparsity) then
            Frame.ofColumns ([]: (string * ISeries<int>) list)
        else meanStd [ Column.Experiment; Column.MaskType; Column.Sparsity ] value finished

    /// The weight-symmetry table: per experiment, mask type and sparsity, the runs and the mean ± std of the best test
    /// accuracy and of log10(permutations + 1) of the propagated mask. Columns: `experiment`, `mask_type`, `sparsity`,
    /// `runs`, `accuracy_mean`, `accuracy_std`, `permutation_log10_mean`, `permutation_log10_std`.
    let weightSymmetryTable (runs: Frame<string, string>) : Frame<int, string> =
        let accuracy = byMaskAndSparsity Column.BestTestAccuracy runs
        if accuracy.RowCount = 0 then accuracy
        else
            let log10 = byMaskAndSparsity Column.PropagatedPermutationLog10 runs
            // A missing value (a std over one run) reads as NaN, which Deedle shows as missing again.
            let real (f: Frame<int, string>) (name: string) =
                let c = f.GetColumn<float> name
                fun (i: int) -> match c.TryGet i with | v when v.HasValue -> v.Value | _ -> nan
            let text (f: Frame<int, string>) (name: string) = let c = f.GetColumn<string> name in fun (i: int) -> c.[i]
            let key (f: Frame<int, string>) =
                let experiment, maskType, sparsity = text f Column.Experiment, text f Column.MaskType, real f Column.Sparsity
                fun i -> experiment i, maskType i, sparsity i
            let log10By =
                let k, mean, std = key log10, real log10 "mean", real log10 "std"
                dict [ for i in log10.RowKeys -> k i, (mean i, std i) ]
            let index = accuracy.RowKeys |> Array.ofSeq
            let column name (get: int -> 'V) = name, Columns.series (index |> Seq.map (fun i -> i, get i))
            let accuracyKey = key accuracy
            let logOf i = match log10By.TryGetValue(accuracyKey i) with | true, v -> v | _ -> nan, nan
            let runsOf = accuracy.GetColumn<int> "n"
            Columns.frame index
                [ column "experiment" (text accuracy Column.Experiment)
                  column "mask_type" (text accuracy Column.MaskType)
                  column "sparsity" (real accuracy Column.Sparsity)
                  column "runs" (fun i -> runsOf.[i])
                  column "accuracy_mean" (real accuracy "mean")
                  column "accuracy_std" (real accuracy "std")
                  column "permutation_log10_mean" (logOf >> fst)
                  column "permutation_log10_std" (logOf >> snd) ]

    /// Per run, the evaluation where `metric` (e.g. `test_accuracy`) was highest, ties to the later step (the
    /// store's best-snapshot rule), from the long metrics frame. Keyed by run id: `step`, `epoch`, `value`.
    let bestEpoch (metric: string) (metrics: Frame<int, string>) : Frame<string, string> =
        let names = metrics.GetColumn<string> "name"
        let runs = metrics.GetColumn<string> "run_id"
        let steps = metrics.GetColumn<int64> "step"
        let epochs = metrics.GetColumn<float> "epoch"
        let values = metrics.GetColumn<float> "value"
        let best =
            metrics.RowKeys
            |> Seq.filter (fun i -> names.[i] = metric && not (Double.IsNaN values.[i]))
            |> Seq.groupBy (fun i -> runs.[i])
            |> Seq.map (fun (run, rows) -> run, rows |> Seq.maxBy (fun i -> values.[i], steps.[i]))
            |> Array.ofSeq
        let column name (get: int -> 'V) = name, Columns.series (best |> Seq.map (fun (run, i) -> run, get i))
        Columns.frame (best |> Seq.map fst) [ column "step" (fun i -> steps.[i]); column "epoch" (fun i -> epochs.[i]); column "value" (fun i -> values.[i]) ]
