using Microsoft.Data.Sqlite;

namespace Symmetry.Core.Results;

/// <summary>The results store's file cannot be used: the folder is not writable, the file is not an SQLite database,
/// or it is corrupt. The message is one line naming the file and what to do.</summary>
public sealed class ResultsStoreException : IOException
{
    /// <summary>Creates the exception for the store at <paramref name="databasePath"/>.</summary>
    public ResultsStoreException(string databasePath, string message, Exception? inner = null)
        : base(message, inner) => DatabasePath = databasePath;

    /// <summary>The database file concerned.</summary>
    public string DatabasePath { get; }

    /// <summary>SQLite's primary result codes this class explains.</summary>
    private const int ReadOnly = 8, IoError = 10, Corrupt = 11, Full = 13, CannotOpen = 14, NotADatabase = 26;

    /// <summary>SQLite's error <paramref name="error"/> on <paramref name="path"/> as one line with the way out; null for
    /// errors that are not about the file (a constraint, a busy lock past its timeout: the caller's own message stands).</summary>
    internal static ResultsStoreException? Explain(string path, SqliteException error) => (error.SqliteErrorCode & 0xFF) switch
    {
        CannotOpen => new(path, $"cannot open results store {path}: the folder does not exist or is not writable by this user, or the path is a folder; fix its permissions or pass another --db", error),
        ReadOnly => new(path, $"results store {path} is read-only (file or folder permissions, or a read-only file system): make it writable or pass another --db", error),
        NotADatabase => new(path, $"{path} is not an SQLite database (not a results store?): pass another --db, or move the file aside", error),
        Corrupt => new(path, $"results store {path} is corrupt ({error.Message.TrimEnd('.')}): recover it with `sqlite3 {path} .recover | sqlite3 {path}.recovered` and use that file, or move it aside", error),
        IoError => new(path, $"results store {path}: the disk reported an I/O error ({error.Message.TrimEnd('.')}); check the disk, then `sqlite3 {path} 'PRAGMA integrity_check'`", error),
        Full => new(path, $"results store {path}: the disk is full; free some space and rerun (finished runs are kept)", error),
        _ => null,
    };
}
