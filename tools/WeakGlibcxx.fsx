// Debian 12 compatibility for TorchSharp's native library (see ARCHITECTURE.md, "Verified on this machine kind").
//
// libLibTorchSharp.so 0.107.0 asks for GLIBCXX_3.4.32 (GCC 13) for one symbol it never calls; Debian 12's
// libstdc++ stops at 3.4.30, so the whole library fails to load. Marking that one version requirement weak
// (VER_FLG_WEAK in its .gnu.version_r entry) makes the dynamic linker accept its absence. Two bytes, idempotent.
module WeakGlibcxx

open System
open System.IO

[<Literal>]
let Version = "GLIBCXX_3.4.32"

let private verFlgWeak = 0x2us
let private shtGnuVerneed = 0x6ffffffeu

type Outcome =
    | Patched
    | AlreadyWeak
    | NotRequired

/// Marks the `version` requirement of the ELF64 little-endian file at `path` weak; returns what it found.
let markWeak (path: string) (version: string) : Outcome =
    let bytes = File.ReadAllBytes path
    let u16 (o: int64) = BitConverter.ToUInt16(bytes, int o)
    let u32 (o: int64) = BitConverter.ToUInt32(bytes, int o)
    let u64 (o: int64) = BitConverter.ToUInt64(bytes, int o)
    if bytes.Length < 64 || bytes.[0] <> 0x7Fuy || bytes.[1] <> byte 'E' || bytes.[2] <> byte 'L' || bytes.[3] <> byte 'F' then
        failwithf "%s is not an ELF file" path
    if bytes.[4] <> 2uy || bytes.[5] <> 1uy || not BitConverter.IsLittleEndian then failwithf "%s is not a 64-bit little-endian ELF file" path
    let shoff = int64 (u64 0x28L)
    let shentsize = int64 (u16 0x3AL)
    let shnum = int (u16 0x3CL)
    let section i = shoff + int64 i * shentsize
    let cstring (o: int64) =
        let e = Array.IndexOf(bytes, 0uy, int o)
        Text.Encoding.ASCII.GetString(bytes, int o, e - int o)
    let verneed = [ 0 .. shnum - 1 ] |> List.tryFind (fun i -> u32 (section i + 4L) = shtGnuVerneed)
    match verneed with
    | None -> NotRequired
    | Some i ->
        let sh = section i
        let offset = int64 (u64 (sh + 24L))
        let count = int (u32 (sh + 44L)) // sh_info: number of Verneed entries
        let strtab = int64 (u64 (section (int (u32 (sh + 40L))) + 24L))
        let mutable found = None
        let mutable need = offset
        for _ in 1..count do
            let auxCount = int (u16 (need + 2L))
            let mutable aux = need + int64 (u32 (need + 8L))
            for _ in 1..auxCount do
                if cstring (strtab + int64 (u32 (aux + 8L))) = version then found <- Some(aux + 4L)
                aux <- aux + int64 (u32 (aux + 12L))
            need <- need + int64 (u32 (need + 12L))
        match found with
        | None -> NotRequired
        | Some flagsAt when u16 flagsAt &&& verFlgWeak <> 0us -> AlreadyWeak
        | Some flagsAt ->
            let flags = u16 flagsAt ||| verFlgWeak
            // Write to a temporary file and rename, so a killed setup never leaves a half-written library.
            bytes.[int flagsAt] <- byte flags
            bytes.[int flagsAt + 1] <- byte (flags >>> 8)
            let tmp = path + ".weak-tmp"
            File.WriteAllBytes(tmp, bytes)
            File.Move(tmp, path, overwrite = true)
            Patched

/// True when the system's libstdc++ provides `version` (then nothing needs patching).
let systemProvides (version: string) =
    [ "/lib/x86_64-linux-gnu/libstdc++.so.6"; "/usr/lib/x86_64-linux-gnu/libstdc++.so.6"; "/usr/lib64/libstdc++.so.6" ]
    |> List.tryFind File.Exists
    |> Option.map (fun lib ->
        let text = Text.Encoding.ASCII.GetString(File.ReadAllBytes lib)
        text.Contains(version + "\000"))
    |> Option.defaultValue true
