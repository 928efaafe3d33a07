namespace Symmetry.Analysis

open System
open System.Diagnostics
open System.IO
open System.Net
open System.Text.RegularExpressions
open Symmetry.Core.Results

/// The static image formats of a figure.
type ImageFormat =
    | Svg
    | Png

    member this.Extension = match this with Svg -> "svg" | Png -> "png"

/// Static SVG and PNG of figures, drawn by plotly.js itself (`Plotly.toImage`) inside headless Chromium — Debian's
/// `chromium`, installed by `dotnet fsi build.fsx setup`; nothing is downloaded at run time. One browser start draws
/// every figure of a report.
module StaticImages =

    /// Where Chromium is looked for: `SYMMETRY_CHROMIUM`, then these names on PATH.
    let candidates = [ "chromium"; "chromium-browser"; "google-chrome"; "google-chrome-stable" ]

    /// The Chromium executable, or why there is none.
    let findChromium () : Result<string, string> =
        let onPath name =
            (Environment.GetEnvironmentVariable "PATH" |> Option.ofObj |> Option.defaultValue "").Split(Path.PathSeparator)
            |> Array.map (fun dir -> Path.Combine(dir, name))
            |> Array.tryFind File.Exists
        match Environment.GetEnvironmentVariable "SYMMETRY_CHROMIUM" with
        | null | "" ->
            match candidates |> List.tryPick onPath with
            | Some path -> Ok path
            | None ->
                Error(sprintf "no headless Chromium found (looked for %s on PATH; SYMMETRY_CHROMIUM names another): `dotnet fsi build.fsx setup` installs Debian's chromium"
                          (String.Join(", ", candidates)))
        | path when File.Exists path -> Ok path
        | path -> Error(sprintf "SYMMETRY_CHROMIUM names %s, which does not exist" path)

    /// How long one browser run may take before it is stopped.
    let timeout = TimeSpan.FromMinutes 5.0

    /// The page that draws every figure in every format and appends each result as `<pre id="image-i-format">`
    /// (a data URL), then `<pre id="done">`. plotly.js is loaded from a file beside it.
    let private exportPage (figures: ReportFigure list) (formats: ImageFormat list) =
        let jobs =
            [ for i, figure in List.indexed figures do
                  for format in formats ->
                      sprintf "{id: 'image-%d-%s', fig: %s, format: '%s', width: %d, height: %d, scale: %d}"
                          i format.Extension ((Html.figureJson figure).Replace("</", "<\\/")) format.Extension figure.Width figure.Height
                          (match format with Png -> 2 | Svg -> 1) ]
        sprintf """<!DOCTYPE html><html><head><meta charset="utf-8"><script src="plotly.min.js"></script></head><body><script>
function put(id, text) { var p = document.createElement('pre'); p.id = id; p.textContent = text; document.body.appendChild(p); }
var jobs = [%s];
jobs.reduce(function (done, job) {
  return done.then(function () {
    return Plotly.toImage({data: job.fig.data, layout: job.fig.layout}, {format: job.format, width: job.width, height: job.height, scale: job.scale})
      .then(function (url) { put(job.id, url); }, function (e) { put(job.id + '-error', String(e)); });
  });
}, Promise.resolve()).then(function () { put('done', 'done'); });
</script></body></html>""" (String.Join(",\n", jobs))

    let private decode (dataUrl: string) : byte[] =
        let comma = dataUrl.IndexOf ','
        if comma < 0 then failwithf "not a data URL: %s" (dataUrl.Substring(0, min 40 dataUrl.Length))
        let header, payload = dataUrl.Substring(0, comma), dataUrl.Substring(comma + 1)
        if header.EndsWith ";base64" then Convert.FromBase64String payload
        else Text.Encoding.UTF8.GetBytes(Uri.UnescapeDataString payload)

    /// Draws each figure in each format with Chromium and writes `<directory>/<figure name>.<ext>`; returns the paths
    /// written, or why nothing was (no Chromium, or the browser failed).
    let export (directory: string) (formats: ImageFormat list) (figures: ReportFigure list) : Result<string list, string> =
        if figures.IsEmpty || formats.IsEmpty then Ok []
        else
        match findChromium () with
        | Error reason -> Error reason
        | Ok chromium ->
            let work = Path.Combine(Path.GetTempPath(), "symmetry-images-" + Guid.NewGuid().ToString("N"))
            Directory.CreateDirectory work |> ignore
            try
                File.WriteAllText(Path.Combine(work, "plotly.min.js"), Html.plotlyJs.Value)
                let page = Path.Combine(work, "export.html")
                File.WriteAllText(page, exportPage figures formats)
                let info = ProcessStartInfo(chromium, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false)
                // --no-sandbox: Chromium refuses to run as root with its sandbox, and it only ever opens our own page.
                // Virtual time lets the drawing finish as fast as it can, then the DOM is printed.
                for arg in
                    [ "--headless"; "--no-sandbox"; "--disable-gpu"; "--no-first-run"; "--disable-extensions"
                      "--user-data-dir=" + Path.Combine(work, "profile"); "--virtual-time-budget=600000"; "--dump-dom"
                      Uri(page).AbsoluteUri ] do
                    info.ArgumentList.Add arg
                use browser = Process.Start info |> nonNull
                let output = browser.StandardOutput.ReadToEndAsync()
                let errors = browser.StandardError.ReadToEndAsync()
                if not (browser.WaitForExit timeout) then
                    browser.Kill true
                    Error(sprintf "%s ran past %.0f minutes drawing %d figure(s)" chromium timeout.TotalMinutes figures.Length)
                else
                    let dom = output.Result
                    let results =
                        Regex.Matches(dom, "<pre id=\"([a-z0-9-]+)\">([^<]*)</pre>")
                        |> Seq.map (fun m -> m.Groups.[1].Value, WebUtility.HtmlDecode m.Groups.[2].Value |> nonNull)
                        |> dict
                    let failure =
                        results |> Seq.tryFind (fun kv -> kv.Key.EndsWith "-error")
                        |> Option.map (fun kv -> sprintf "plotly.js could not draw %s: %s" kv.Key kv.Value)
                    match failure with
                    | Some reason -> Error reason
                    | None when not (results.ContainsKey "done") ->
                        let tail = errors.Result.Trim().Split('\n') |> Array.tryLast |> Option.defaultValue ""
                        Error(sprintf "%s exited with code %d before drawing every figure (%s)" chromium browser.ExitCode tail)
                    | None ->
                        Ok
                            [ for i, figure in List.indexed figures do
                                  for format in formats ->
                                      let path = Path.Combine(directory, figure.Name + "." + format.Extension)
                                      AtomicFile.WriteAllBytes(path, ReadOnlySpan<byte>(decode results.[sprintf "image-%d-%s" i format.Extension]))
                                      path ]
            finally
                try Directory.Delete(work, true) with _ -> ()
