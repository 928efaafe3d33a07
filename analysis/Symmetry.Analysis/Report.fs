namespace Symmetry.Analysis

open System
open System.Diagnostics
open System.Globalization
open System.IO
open Deedle
open Symmetry.Core.Results

/// How a report is written.
type ReportSettings =
    { /// The folder it goes to (created; files of the same names are replaced).
      Directory: string
      /// Static images to draw with headless Chromium beside each figure's HTML (none: HTML only).
      Images: ImageFormat list }

    /// `results/report`, SVG and PNG.
    static member Default = { Directory = "results/report"; Images = [ Svg; Png ] }

/// What a report wrote.
type ReportResult =
    { /// `index.html` (empty for a figure-only write).
      Index: string
      /// Each figure's self-contained HTML.
      Figures: string list
      /// Static images written.
      Images: string list
      /// Why no static images were drawn, if they were asked for and none were.
      ImagesSkipped: string option
      /// Tables written as CSV.
      Tables: string list
      Seconds: float }

/// The report: every family's figures and tables from the store into one folder with an `index.html`.
module Report =

    /// The families a report holds, in order. A new family is one more entry.
    let families: Family list = [ WeightSymmetryFigures.family; TrainingCurveFigures.family; LotteryFigures.family; LaPermFigures.family; StitchingFigures.family; DeconstructingFigures.family; RebasinFigures.family ]

    let private cell (value: obj) =
        match value with
        | :? float as x when Double.IsNaN x -> "–"
        | :? float as x -> x.ToString("0.####", CultureInfo.InvariantCulture)
        | :? IFormattable as f -> f.ToString(null, CultureInfo.InvariantCulture)
        | v -> string v

    /// A frame as an HTML table (missing values as –).
    let htmlTable (frame: Frame<'R, string>) =
        let header = frame.ColumnKeys |> Seq.map (fun c -> "<th>" + Html.encode c + "</th>") |> String.concat ""
        let rows =
            frame.Rows.Observations
            |> Seq.map (fun row ->
                frame.ColumnKeys
                |> Seq.map (fun c ->
                    let v = row.Value.TryGet c
                    "<td>" + Html.encode (if v.HasValue then cell v.Value else "–") + "</td>")
                |> String.concat "")
            |> Seq.map (fun cells -> "<tr>" + cells + "</tr>")
            |> String.concat "\n"
        sprintf "<table><tr>%s</tr>\n%s</table>" header rows

    /// A frame as CSV text (invariant culture), with its row keys as a first column named `rowKey` when given.
    let csv (rowKey: string option) (frame: Frame<'R, string>) =
        use writer = new StringWriter(CultureInfo.InvariantCulture)
        match rowKey with
        | Some name -> frame.SaveCsv(writer, includeRowKeys = true, keyNames = [ name ], culture = CultureInfo.InvariantCulture)
        | None -> frame.SaveCsv(writer, includeRowKeys = false, culture = CultureInfo.InvariantCulture)
        writer.ToString()

    /// Writes each figure's self-contained HTML, then its static images (one Chromium run for all).
    let writeFigures (settings: ReportSettings) (figures: ReportFigure list) =
        let html =
            figures |> List.map (fun f ->
                let path = Path.Combine(settings.Directory, f.Name + ".html")
                AtomicFile.WriteAllText(path, Html.standalone f)
                path)
        match StaticImages.export settings.Directory settings.Images figures with
        | Result.Ok images -> html, images, None
        | Result.Error reason -> html, [], Some reason

    /// Every family's output, families without runs left out.
    let build (input: AnalysisInput) : (Family * FamilyOutput) list =
        families |> List.map (fun f -> f, f.Build input) |> List.filter (fun (_, o) -> not (o.Figures.IsEmpty && o.Tables.IsEmpty))

    let private statusLine (data: StoreData) =
        data.Runs
        |> Seq.countBy (fun r -> ResultsStore.StatusName r.Status)
        |> Seq.map (fun (s, n) -> sprintf "%d %s" n s)
        |> String.concat ", "

    /// Writes the report of `data` into `settings.Directory`: `index.html` (self-contained: plotly.js once, every
    /// figure and table), each figure as `<name>.html` (self-contained) and `<name>.svg`/`.png` (headless Chromium;
    /// skipped with the reason when there is none), `tables/<name>.csv` and `tables/runs.csv` (the runs frame). Figure
    /// files an earlier report left under a family's name are removed first.
    let write (settings: ReportSettings) (data: StoreData) : ReportResult =
        let clock = Stopwatch.StartNew()
        // Figures of experiments no longer in the store must not linger beside the new ones: remove the files an
        // earlier report wrote under the families' names (nothing else in the folder is touched).
        if Directory.Exists settings.Directory then
            for family in families do
                for extension in [ "html"; "svg"; "png" ] do
                    for stale in Directory.GetFiles(settings.Directory, sprintf "%s-*.%s" family.Name extension) do File.Delete stale
        let input = { Data = data; Runs = Frames.runs data }
        let outputs = build input
        let figures = outputs |> List.collect (fun (_, o) -> o.Figures)
        let htmlFiles, images, skipped = writeFigures settings figures
        let tableDir = Path.Combine(settings.Directory, "tables")
        let runsCsv = Path.Combine(tableDir, "runs.csv")
        AtomicFile.WriteAllText(runsCsv, csv (Some "run_id") input.Runs)
        let tables =
            outputs |> List.collect (fun (_, o) -> o.Tables) |> List.map (fun t ->
                let path = Path.Combine(tableDir, t.Name + ".csv")
                AtomicFile.WriteAllText(path, csv None t.Frame)
                t, path)
        let imageLinks (f: ReportFigure) =
            settings.Images
            |> List.filter (fun format -> images |> List.contains (Path.Combine(settings.Directory, f.Name + "." + format.Extension)))
            |> List.map (fun format -> sprintf " · <a href=\"%s.%s\">%s</a>" f.Name format.Extension format.Extension)
            |> String.concat ""
        let sections =
            [ for family, output in outputs do
                  yield sprintf "<h2>%s</h2>" (Html.encode family.Title)
                  for note in output.Notes do yield sprintf "<p class=\"note\">%s</p>" (Html.encode note)
                  for f in output.Figures do
                      yield Html.figureBlock f.Name f
                      yield sprintf "<p class=\"note\">Standalone: <a href=\"%s.html\">html</a>%s</p>" f.Name (imageLinks f)
                  for t in output.Tables do
                      yield sprintf "<h3>%s</h3>%s<p class=\"note\"><a href=\"tables/%s.csv\">tables/%s.csv</a></p>"
                                (Html.encode t.Title) (htmlTable t.Frame) t.Name t.Name ]
        let absent = families |> List.filter (fun f -> not (outputs |> List.exists (fun (o, _) -> o.Name = f.Name)))
        let body =
            [ yield "<h1>Symmetry report</h1>"
              yield sprintf "<p>Store <code>%s</code>: %d runs (%s). Generated %s UTC by Symmetry %s. Every run, one row: <a href=\"tables/runs.csv\">tables/runs.csv</a>.</p>"
                        (Html.encode data.Path) data.Runs.Count (statusLine data)
                        (DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)) (Html.encode RuntimeInfo.CurrentLibraryVersion)
              match skipped with
              | Some reason -> yield sprintf "<p class=\"note\">Static images skipped: %s.</p>" (Html.encode reason)
              | None -> ()
              yield! sections
              if not absent.IsEmpty then
                  yield sprintf "<p class=\"note\">No runs yet for: %s.</p>" (absent |> List.map (fun f -> Html.encode f.Title) |> String.concat ", ") ]
            |> String.concat "\n"
        let index = Path.Combine(settings.Directory, "index.html")
        AtomicFile.WriteAllText(index, Html.page "Symmetry report" body)
        { Index = index
          Figures = htmlFiles
          Images = images
          ImagesSkipped = skipped
          Tables = runsCsv :: (tables |> List.map snd)
          Seconds = clock.Elapsed.TotalSeconds }

    /// Reads the store at `storePath` and writes its report (see `write`).
    let writeStore (settings: ReportSettings) (storePath: string) = StoreData.read storePath |> write settings

    /// The weight-symmetry figure of the given runs only (a sweep's), written as `<directory>/<name>.html` and its
    /// static images: what the main job ends with. Empty when none of the runs is a finished mask-driver run.
    let writeRunsFigure (settings: ReportSettings) (name: string) (storePath: string) (runIds: string seq) : ReportResult =
        let clock = Stopwatch.StartNew()
        let data = StoreData.read storePath |> StoreData.only runIds
        let output = WeightSymmetryFigures.family.Build { Data = data; Runs = Frames.runs data }
        let figures = output.Figures |> List.truncate 1 |> List.map (fun f -> { f with Name = name })
        let html, images, skipped = writeFigures settings figures
        { Index = ""; Figures = html; Images = images; ImagesSkipped = skipped; Tables = []; Seconds = clock.Elapsed.TotalSeconds }
