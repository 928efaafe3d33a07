namespace Symmetry

open System
open System.Globalization

/// Typed `--name value` flags for scripts: each read states its type and default once, a malformed value stops the
/// script with one line naming the flag and exit code 2, and `Finish` refuses flags nobody read (a typo is not
/// ignored). Meant for script entry points: it ends the process on bad input.
type Flags(argv: string[]) =
    let values =
        let pairs = Collections.Generic.Dictionary<string, string>(StringComparer.Ordinal)
        let mutable i = 0
        while i < argv.Length do
            let arg = argv.[i]
            if arg.StartsWith "--" then
                let name = arg.Substring 2
                if i + 1 < argv.Length && not (argv.[i + 1].StartsWith "--") then
                    pairs.[name] <- argv.[i + 1]
                    i <- i + 2
                else
                    pairs.[name] <- "true"
                    i <- i + 1
            else
                i <- i + 1
        pairs
    let read = Collections.Generic.HashSet<string>(StringComparer.Ordinal)

    /// Prints `error: message` and ends the script with exit code 2 (bad input: nothing was written).
    static member Fail(message: string) : 'T =
        eprintfn "error: %s" message
        exit 2

    /// Runs `read` and turns what the library reports as bad input — an ArgumentException (a bad value), bad data,
    /// an unusable results store, a run another process is training — into `Fail`.
    static member Checked(read: unit -> 'T) : 'T =
        try
            read ()
        with
        | :? ArgumentException as e ->
            // ArgumentException appends " (Parameter 'x')" (and "Actual value was …" on a second line): the message
            // alone is the line a user reads.
            let first = e.Message.Split('\n').[0].TrimEnd()
            let suffix = match e.ParamName with null -> "" | name -> sprintf " (Parameter '%s')" name
            Flags.Fail(if suffix <> "" && first.EndsWith suffix then first.Substring(0, first.Length - suffix.Length) else first)
        | :? Symmetry.Core.Data.DataFormatException
        | :? Symmetry.Core.Results.ResultsStoreException
        | :? Symmetry.Core.Results.RunLeasedException as e -> Flags.Fail e.Message

    /// Flags from a script's `fsi.CommandLineArgs` (the first element, the script itself, is skipped).
    static member OfScript(args: string[]) = Flags(if args.Length > 0 then args.[1..] else args)

    member private _.Get(name: string) =
        read.Add name |> ignore
        match values.TryGetValue name with
        | true, v -> Some v
        | _ -> None

    member private this.Parse(name: string, kind: string, parse: string -> 'T option) : 'T option =
        this.Get name
        |> Option.map (fun text ->
            match parse text with
            | Some v -> v
            | None -> Flags.Fail(sprintf "--%s: expected %s, got '%s'" name kind text))

    /// A string flag, if given.
    member this.TryString(name: string) = this.Get name

    /// A string flag or its default.
    member this.String(name: string, fallback: string) = this.Get name |> Option.defaultValue fallback

    /// An integer flag, if given.
    member this.TryInt(name: string) =
        this.Parse(name, "an integer", fun t -> match Int32.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture) with | true, v -> Some v | _ -> None)

    /// An integer flag or its default.
    member this.Int(name: string, fallback: int) = this.TryInt name |> Option.defaultValue fallback

    /// A finite number flag, if given (NaN and ±Infinity are never a meaningful setting).
    member this.TryFloat(name: string) =
        this.Parse(name, "a finite number", fun t ->
            match Double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture) with
            | true, v when Double.IsFinite v -> Some v
            | _ -> None)

    /// A number flag or its default.
    member this.Float(name: string, fallback: float) = this.TryFloat name |> Option.defaultValue fallback

    /// A switch (`--name` alone, or `--name true|false`).
    member this.Switch(name: string) =
        this.Parse(name, "true or false", fun t -> match Boolean.TryParse t with | true, v -> Some v | _ -> None) |> Option.defaultValue false

    /// A comma-separated list flag or its default; an empty list or an item `parse` refuses stops the script.
    member this.List(name: string, parse: string -> 'T, fallback: 'T list) =
        match this.Get name with
        | Some text ->
            let items = text.Split(',', StringSplitOptions.RemoveEmptyEntries ||| StringSplitOptions.TrimEntries)
            if items.Length = 0 then Flags.Fail(sprintf "--%s: expected a comma-separated list, got '%s'" name text)
            items
            |> Array.map (fun item ->
                try
                    parse item
                with e when (e :? FormatException || e :? OverflowException) ->
                    Flags.Fail(sprintf "--%s: cannot read '%s' in '%s'" name item text))
            |> List.ofArray
        | None -> fallback

    /// Refuses any flag that no read asked for (call it after reading every flag).
    member _.Finish() =
        let unknown = values.Keys |> Seq.filter (read.Contains >> not) |> List.ofSeq
        if not unknown.IsEmpty then
            let known = read |> Seq.sort |> Seq.map (sprintf "--%s") |> String.concat " "
            Flags.Fail(sprintf "unknown flag(s) %s; this script takes %s" (unknown |> List.map (sprintf "--%s") |> String.concat ", ") known)
