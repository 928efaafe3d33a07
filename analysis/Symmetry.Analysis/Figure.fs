namespace Symmetry.Analysis

open System
open System.IO
open System.Net
open Plotly.NET

/// A figure of the report: a Plotly.NET chart with the names it is filed and shown under.
type ReportFigure =
    { /// File stem (`weight-symmetry-1a2b3c4d5e6f`): `<name>.html`, `.svg`, `.png`.
      Name: string
      /// Heading shown above it.
      Title: string
      /// What it shows, one or two sentences.
      Caption: string
      Chart: GenericChart
      /// Size of the static images (CSS pixels; the PNG is rendered at twice this).
      Width: int
      Height: int }

/// Self-contained HTML for figures: plotly.js is inlined from the copy Plotly.NET carries, so a page opens with no
/// network.
module Html =

    /// plotly.js as shipped inside the Plotly.NET package (an embedded resource of its assembly).
    let plotlyJs: Lazy<string> =
        lazy
            let assembly = typeof<GenericChart>.Assembly
            let name = sprintf "Plotly.NET.plotly-%s.min.js" Globals.PLOTLYJS_VERSION
            use stream =
                match assembly.GetManifestResourceStream name with
                | null -> failwithf "Plotly.NET %O carries no resource %s" (assembly.GetName().Version) name
                | s -> s
            use reader = new StreamReader(stream)
            reader.ReadToEnd()

    /// Text as HTML.
    let encode (text: string) : string = WebUtility.HtmlEncode text |> nonNull

    /// The figure's data and layout as JSON (`{"data": […], "layout": {…}}`).
    let figureJson (figure: ReportFigure) = GenericChart.toFigureJson figure.Chart

    /// A `<script>` element holding JSON safely (no `</script>` can end it early).
    let private scriptJson (json: string) = json.Replace("</", "<\\/")

    /// A div that draws `figure` once plotly.js is loaded, with its heading and caption.
    let figureBlock (id: string) (figure: ReportFigure) =
        sprintf """<section class="figure" id="%s"><h3>%s</h3><div id="%s-plot" style="width:100%%;height:%dpx"></div>
<p class="caption">%s</p>
<script>(function () { var fig = %s; Plotly.newPlot('%s-plot', fig.data, fig.layout, {responsive: true}); })();</script></section>"""
            id (encode figure.Title) id figure.Height (encode figure.Caption) (scriptJson (figureJson figure)) id

    let private style =
        """body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1200px;color:#222;padding:0 1em}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ccc}h3{font-size:1.1em}
.caption{color:#444;max-width:60em}.note{color:#555}table{border-collapse:collapse;margin:1em 0;font-size:.9em}
td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}
code{background:#f4f4f4;padding:0 .2em}"""

    /// A whole page: plotly.js inlined once in the head, then `body`.
    let page (title: string) (body: string) =
        sprintf "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%s</title><style>%s</style>\n<script>%s</script></head>\n<body>\n%s\n</body></html>\n"
            (encode title) style plotlyJs.Value body

    /// The standalone page of one figure.
    let standalone (figure: ReportFigure) = page figure.Title (figureBlock "figure" figure)
