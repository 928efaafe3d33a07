/// Helpers shared by the results-store tests: temporary folders, raw SQLite access, value lists.
module Symmetry.Properties.ResultsStoreTestSupport

open System
open System.IO
open NUnit.Framework
open Microsoft.Data.Sqlite
open Symmetry.Core.Results

/// A fresh temporary folder, deleted (with everything in it) when disposed.
type TempDir() =
    let path = Path.Combine(Path.GetTempPath(), "symmetry-results-" + Guid.NewGuid().ToString("N"))
    do Directory.CreateDirectory path |> ignore
    member _.Path = path
    member _.File(name: string) = Path.Combine(path, name)
    interface IDisposable with
        member _.Dispose() =
            if Directory.Exists path then Directory.Delete(path, true)

/// The runtime recorded by test runs.
let runtime = RuntimeInfo("test-lib", "1.13.1", 2, "cpu")

/// The value, failing the test when it is null.
let must (value: 'T | null) : 'T =
    match value with
    | null -> failwith "unexpected null"
    | v -> v

/// A plain connection to the database file (no pooling, so disposing closes the file).
let rawConnection (path: string) =
    SQLitePCL.Batteries_V2.Init()
    let builder = SqliteConnectionStringBuilder(DataSource = path, Pooling = false)
    let connection = new SqliteConnection(builder.ToString())
    connection.Open()
    connection

/// The single value a query returns.
let scalar (connection: SqliteConnection) (sql: string) : obj =
    use command = connection.CreateCommand()
    command.CommandText <- sql
    must (command.ExecuteScalar())

/// Runs a statement.
let execute (connection: SqliteConnection) (sql: string) =
    use command = connection.CreateCommand()
    command.CommandText <- sql
    command.ExecuteNonQuery() |> ignore

/// A count(*) query.
let count (connection: SqliteConnection) (sql: string) = Convert.ToInt64(scalar connection sql)

/// (name, value) pairs as the store takes them.
let metricValues (xs: (string * float) list) = xs |> List.map (fun (n, v) -> struct (n, v))

/// One layer's mask statistics with the given counts, no model needed (shape: units × weights/units).
let layerStats (name: string) (hidden: bool) (weights: int64) (zeros: int64) (units: int64) (zeroed: int64) (unique: int64)
               (surviving: int64) (groups: int64) (permutations: System.Numerics.BigInteger) =
    Symmetry.Core.Masks.LayerMaskStatistics(
        name, [| units; weights / units |], true, hidden, weights, zeros, units, zeroed, unique, surviving, groups, permutations)

/// Model statistics over the given layers.
let modelStats (layers: Symmetry.Core.Masks.LayerMaskStatistics list) = Symmetry.Core.Masks.MaskStatistics.FromLayers layers

/// Equality with an F# list (NUnit compares collections element by element).
let equalList (xs: 'T list) = Is.EqualTo(box xs)

/// Begins run `id` of kind test with a fixed configuration and seed.
let begin' (store: ResultsStore) id = store.BeginRun(id, "test", """{"lr":0.01}""", 42UL, runtime)
