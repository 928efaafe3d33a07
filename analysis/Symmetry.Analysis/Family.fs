namespace Symmetry.Analysis

open System
open System.Globalization
open Deedle
open Plotly.NET

/// What a figure family reads: the store and its runs frame (built once per report).
type AnalysisInput =
    { Data: StoreData
      Runs: Frame<string, string> }

/// A table of the report: shown in `index.html` and written as `tables/<Name>.csv`.
type Table =
    { Name: string
      Title: string
      Frame: Frame<int, string> }

/// What a family contributes to the report; all empty when the store holds none of its runs.
type FamilyOutput =
    { Figures: ReportFigure list
      Tables: Table list
      /// Remarks shown under the family's heading (what was left out and why).
      Notes: string list }

    static member Empty = { Figures = []; Tables = []; Notes = [] }

/// One experiment family's figures and tables. A later family (lottery tickets, interpolation barriers, stitching…)
/// is one more value of this type in `Report.families`, reading only the store.
type Family =
    { Name: string
      Title: string
      Build: AnalysisInput -> FamilyOutput }

/// Helpers the families share: experiments, their labels, colours.
module FamilySupport =

    /// Figures per family at most: the experiments with the most runs first (the rest are named in a note).
    let maxExperiments = 6

    /// Plotly's default colour sequence, so a mask type keeps its colour in every figure.
    let palette =
        [| "#636efa"; "#EF553B"; "#00cc96"; "#ab63fa"; "#FFA15A"; "#19d3f3"; "#FF6692"; "#B6E880"; "#FF97FF"; "#FECB52" |]
        |> Array.map Color.fromHex

    /// The colour of a series named `key`: a mask type keeps its place in the library's order in every figure; other
    /// keys follow, in the order given.
    let colour (others: string list) (key: string) =
        let known = Symmetry.Core.Masks.MaskTypes.Names |> List.ofSeq
        let index =
            match List.tryFindIndex ((=) key) known with
            | Some i -> i
            | None -> known.Length + (others |> List.filter (fun o -> not (List.contains o known)) |> List.tryFindIndex ((=) key) |> Option.defaultValue 0)
        palette.[index % palette.Length]

    /// Keys in the library's mask-type order, then the others alphabetically.
    let ordered (keys: string seq) =
        let known = Symmetry.Core.Masks.MaskTypes.Names |> List.ofSeq
        keys |> Seq.distinct
        |> Seq.sortBy (fun k -> match List.tryFindIndex ((=) k) known with Some i -> i, k | None -> known.Length, k)
        |> List.ofSeq

    /// A value of `column` in row `run`, if present.
    let tryGet<'T> (runs: Frame<string, string>) (column: string) (run: string) : 'T option =
        if runs.ColumnKeys |> Seq.contains column then
            runs.GetColumn<'T>(column).TryGet run |> OptionalValue.asOption
        else None

    /// Invariant short number text.
    let number (x: float) = x.ToString("0.####", CultureInfo.InvariantCulture)

    /// The settings shared by an experiment's runs, for a subtitle: model, widths, driver, optimizer, rate, epochs.
    let describe (runs: Frame<string, string>) (ids: string seq) =
        let first = Seq.head ids
        let text column = tryGet<obj> runs column first |> Option.map string
        [ text "config/model"
          text "config/widths"
          text "config/driver/kind"
          (match text "config/training/optimizer/kind", tryGet<float> runs "config/training/optimizer/learningRate" first with
           | Some kind, Some lr -> Some(sprintf "%s lr %s" kind (number lr))
           | kind, _ -> kind)
          text "config/training/epochs" |> Option.map (fun e -> e + " epochs") ]
        |> List.choose id
        |> String.concat " · "

    /// Runs grouped by experiment, largest first, with the ids of each; and the number of experiments left out.
    let experiments (runs: Frame<string, string>) (ids: string seq) =
        let all =
            ids
            |> Seq.groupBy (fun id -> (tryGet<string> runs Column.Experiment id).Value)
            |> Seq.map (fun (e, ids) -> e, Array.ofSeq ids)
            |> Seq.sortBy (fun (e, ids) -> -ids.Length, e)
            |> List.ofSeq
        List.truncate maxExperiments all, max 0 (all.Length - maxExperiments)

    /// The note for experiments left out of a family's figures.
    let omitted (left: int) =
        if left = 0 then [] else [ sprintf "%d more experiment(s) have runs of this family; figures show the %d with the most runs (every run is in tables/runs.csv)." left maxExperiments ]
