//! Errors that come from what the user wrote carry a [`Span`]; they are collected as
//! [`Diagnostic`]s and printed with the file, line, column and a caret.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A place in a file the user wrote: 1-based line and column, and how many characters
/// the caret should underline. Every YAML value carries one, so it is kept small: 16
/// bytes, the file being a [`SpanFile`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Span {
    pub file: SpanFile,
    pub line: u32,
    pub col: u32,
    pub len: u32,
}

/// The file a span points into: a number in a process-wide table of the files read
/// (a handful per run, kept for the whole run). It derefs to the file's path.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SpanFile(u32);

#[derive(Default)]
struct SpanFiles {
    paths: Vec<&'static Path>,
    numbers: HashMap<&'static Path, u32>,
}

fn span_files() -> std::sync::MutexGuard<'static, SpanFiles> {
    static FILES: std::sync::OnceLock<Mutex<SpanFiles>> = std::sync::OnceLock::new();
    FILES
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl SpanFile {
    /// The number of `path`, given it the first time it is seen.
    pub fn of(path: &Path) -> SpanFile {
        let mut files = span_files();
        if let Some(&number) = files.numbers.get(path) {
            return SpanFile(number);
        }
        let number = u32::try_from(files.paths.len()).unwrap_or(u32::MAX);
        // Kept for the whole run: one path per file read.
        let path: &'static Path = Box::leak(path.to_path_buf().into_boxed_path());
        files.paths.push(path);
        files.numbers.insert(path, number);
        SpanFile(number)
    }

    pub fn path(self) -> &'static Path {
        span_files()
            .paths
            .get(self.0 as usize)
            .copied()
            .unwrap_or(Path::new(""))
    }
}

impl std::ops::Deref for SpanFile {
    type Target = Path;

    fn deref(&self) -> &Path {
        self.path()
    }
}

impl fmt::Debug for SpanFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.path(), f)
    }
}

impl From<&Path> for SpanFile {
    fn from(path: &Path) -> SpanFile {
        SpanFile::of(path)
    }
}

impl From<Arc<Path>> for SpanFile {
    fn from(path: Arc<Path>) -> SpanFile {
        SpanFile::of(&path)
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.col)
    }
}

/// One error (or warning) about the user's input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub span: Option<Span>,
    pub message: String,
}

impl Diagnostic {
    pub fn at(span: &Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            span: Some(span.clone()),
            message: message.into(),
        }
    }

    pub fn bare(message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            span: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.span {
            Some(span) => write!(f, "{span}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// Bad input: one or more diagnostics; nothing was run (exit 4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError(pub Vec<Diagnostic>);

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, diag) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{diag}")?;
        }
        Ok(())
    }
}

impl std::error::Error for InputError {}

impl From<Diagnostic> for InputError {
    fn from(diag: Diagnostic) -> InputError {
        InputError(vec![diag])
    }
}

/// The text of every file loaded, so diagnostics can quote the line they point at.
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    files: Arc<Mutex<HashMap<PathBuf, Arc<str>>>>,
}

impl SourceMap {
    pub fn insert(&self, path: &Path, text: Arc<str>) {
        if let Ok(mut files) = self.files.lock() {
            files.insert(path.to_path_buf(), text);
        }
    }

    /// The 1-based line `line` of `path`, if that file was loaded.
    pub fn line(&self, path: &Path, line: u32) -> Option<String> {
        let files = self.files.lock().ok()?;
        let text = files.get(path)?;
        text.lines()
            .nth(line.checked_sub(1)? as usize)
            .map(str::to_string)
    }
}
