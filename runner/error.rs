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
    /// `None`: the text was released; the file is read again if a line is asked.
    files: Arc<Mutex<HashMap<PathBuf, Option<Arc<str>>>>>,
}

impl SourceMap {
    pub fn insert(&self, path: &Path, text: Arc<str>) {
        if let Ok(mut files) = self.files.lock() {
            files.insert(path.to_path_buf(), Some(text));
        }
    }

    /// Let go of the texts loaded so far (a 10 000-task playbook's is 1.6 MB, kept
    /// for the whole run only to quote lines in load errors): a line asked for later
    /// is read from its file again.
    pub fn release(&self) {
        if let Ok(mut files) = self.files.lock() {
            files.values_mut().for_each(|text| *text = None);
        }
    }

    /// The 1-based line `line` of `path`, if that file was loaded.
    pub fn line(&self, path: &Path, line: u32) -> Option<String> {
        let files = self.files.lock().ok()?;
        let index = line.checked_sub(1)? as usize;
        match files.get(path)? {
            Some(text) => text.lines().nth(index).map(str::to_string),
            None => crate::input::read_text(path, crate::input::MAX_TEXT_BYTES)
                .ok()?
                .lines()
                .nth(index)
                .map(str::to_string),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_released_text_is_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("site.yml");
        std::fs::write(&path, "a: 1\nb: 2\n").unwrap();
        let sources = SourceMap::default();
        sources.insert(&path, Arc::from("a: 1\nb: 2\n"));
        sources.release();
        assert_eq!(sources.line(&path, 2).as_deref(), Some("b: 2"));
        assert_eq!(sources.line(Path::new("/nowhere.yml"), 1), None);
    }
}
