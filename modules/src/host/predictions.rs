//! Check-mode predictions handed between processes that act on one machine (issue
//! 17). A remote host's tasks run in one agent per become user, and a local task of
//! another user runs in an agent beside the controller's own Host: each process has
//! its own overlay, yet a folder a root task "made" under `--check` must exist for
//! the next task of the same host whatever user it runs as. So an overlay can keep a
//! journal of what was recorded in it, as [`Recorded`] entries: an agent sends the
//! entries of each request back to the controller, which keeps them in the host's
//! [`Predictions`] (a journaled overlay of its own, or the local Host's) and hands
//! each session, before its next request, the entries it has not seen. Entries are in
//! the frame of the overlay's outermost host (an agent's root), which every session
//! of one host shares.
//!
//! A check-mode copy's bytes are sent along up to [`MAX_SENT_COPY`]; a larger one is
//! sent as [`PredictedNode::Unknown`]: the other sessions see the disk there (their
//! prediction of that one file may be wrong, and the run says nothing of it).

use super::details::Timestamp;
use super::overlay::{Attrs, Node};
use super::shared::SharedOverlay;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::path::PathBuf;

/// A check-mode copy larger than this is not sent to the other sessions.
pub const MAX_SENT_COPY: u64 = 8 * 1024 * 1024;

/// One change recorded in an overlay, as the overlay's own methods made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "recorded", rename_all = "snake_case", deny_unknown_fields)]
pub enum Recorded {
    Put {
        path: PathBuf,
        node: PredictedNode,
    },
    ChangeAttrs {
        path: PathBuf,
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
    },
    Forget {
        path: PathBuf,
    },
    SetTimes {
        path: PathBuf,
        atime: Option<Timestamp>,
        mtime: Option<Timestamp>,
    },
    Enablement {
        root: PathBuf,
        unit: String,
        state: Option<String>,
    },
    Unrun {
        root: PathBuf,
    },
}

/// A journal entry as the overlay keeps it: a put's node as it is (a check-mode
/// copy still a handle on its file), made a [`Recorded`] only when it is sent.
#[derive(Debug, Clone)]
pub(super) enum Journaled {
    Put { path: PathBuf, node: Node },
    Other(Recorded),
}

impl Journaled {
    pub(super) fn into_recorded(self) -> Recorded {
        match self {
            Journaled::Put { path, node } => Recorded::Put {
                node: PredictedNode::from_node(&node),
                path,
            },
            Journaled::Other(recorded) => recorded,
        }
    }
}

/// An overlay [`Node`] as it crosses to another process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "node", rename_all = "snake_case", deny_unknown_fields)]
pub enum PredictedNode {
    Absent,
    File {
        #[serde(serialize_with = "to_base64", deserialize_with = "from_base64")]
        content: Vec<u8>,
        attrs: Attrs,
    },
    Dir {
        attrs: Attrs,
    },
    Symlink {
        target: PathBuf,
        attrs: Attrs,
    },
    Hardlink {
        to: PathBuf,
    },
    Changed {
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
    },
    /// A copy too large to send (or unreadable): not known to the other sessions.
    Unknown,
}

impl PredictedNode {
    pub(super) fn from_node(node: &Node) -> PredictedNode {
        match node {
            Node::Absent => PredictedNode::Absent,
            Node::File { content, attrs } => PredictedNode::File {
                content: content.clone(),
                attrs: attrs.clone(),
            },
            Node::Copied { source, attrs } if source.size <= MAX_SENT_COPY => {
                match source.read_all() {
                    Ok(content) => PredictedNode::File {
                        content,
                        attrs: attrs.clone(),
                    },
                    Err(_) => PredictedNode::Unknown,
                }
            }
            Node::Copied { .. } => PredictedNode::Unknown,
            Node::Dir { attrs } => PredictedNode::Dir {
                attrs: attrs.clone(),
            },
            Node::Symlink { target, attrs } => PredictedNode::Symlink {
                target: target.clone(),
                attrs: attrs.clone(),
            },
            Node::Hardlink { to } => PredictedNode::Hardlink { to: to.clone() },
            Node::Changed { mode, uid, gid } => PredictedNode::Changed {
                mode: *mode,
                uid: *uid,
                gid: *gid,
            },
        }
    }

    /// The node to put, `None` for [`PredictedNode::Unknown`].
    pub(super) fn into_node(self) -> Option<Node> {
        Some(match self {
            PredictedNode::Absent => Node::Absent,
            PredictedNode::File { content, attrs } => Node::File { content, attrs },
            PredictedNode::Dir { attrs } => Node::Dir { attrs },
            PredictedNode::Symlink { target, attrs } => Node::Symlink { target, attrs },
            PredictedNode::Hardlink { to } => Node::Hardlink { to },
            PredictedNode::Changed { mode, uid, gid } => Node::Changed { mode, uid, gid },
            PredictedNode::Unknown => return None,
        })
    }
}

fn to_base64<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&BASE64.encode(bytes))
}

fn from_base64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
    let text = String::deserialize(deserializer)?;
    BASE64.decode(text).map_err(serde::de::Error::custom)
}

/// What a controller keeps of one machine's check-mode predictions: a journaled
/// overlay (its own for a remote host, the local Host's for this machine), and where
/// each session is in its journal.
#[derive(Debug)]
pub struct Predictions(SharedOverlay);

impl Default for Predictions {
    fn default() -> Predictions {
        Predictions::new()
    }
}

impl Predictions {
    /// A journaled overlay of its own (a remote host's, kept by the controller).
    pub fn new() -> Predictions {
        let overlay = SharedOverlay::new();
        overlay.start_journal();
        Predictions(overlay)
    }

    /// A host's overlay, journaled once a session first asks (then from what it
    /// holds): a run that starts no agent keeps no journal.
    pub(super) fn on(overlay: SharedOverlay) -> Predictions {
        Predictions(overlay)
    }

    /// Where the journal ends now: a new session has seen nothing yet (`0`).
    pub fn end(&self) -> usize {
        self.since(usize::MAX).1
    }

    /// The entries after `cursor`, and the cursor after them.
    pub fn since(&self, cursor: usize) -> (Vec<Recorded>, usize) {
        self.0.start_journal();
        self.0.journal_since(cursor)
    }

    /// Take in what a session recorded, whose cursor was `cursor`: the session's new
    /// cursor (past its own entries when nothing else was recorded between, so they
    /// are not sent back to it).
    pub fn add(&self, entries: Vec<Recorded>, cursor: usize) -> usize {
        if entries.is_empty() {
            return cursor;
        }
        self.0.start_journal();
        let (start, end) = self.0.import(entries, true);
        if start == cursor {
            end
        } else {
            cursor
        }
    }
}

impl super::Host {
    /// This host's overlay as a machine's [`Predictions`] (journaled from the first
    /// use on, opening with what it holds then).
    pub fn predictions(&self) -> Predictions {
        Predictions::on(self.overlay.within(std::path::Path::new("/")))
    }

    /// Start journaling what is recorded in this host's overlay (an agent's Host).
    pub fn journal_predictions(&self) {
        self.overlay.start_journal();
    }

    /// What was recorded since the last call (journaled: see
    /// [`Host::journal_predictions`]), taken out of the journal.
    pub fn take_predictions(&self) -> Vec<Recorded> {
        self.overlay.take_journal()
    }

    /// Record what another session of this machine recorded (not journaled again).
    pub fn import_predictions(&self, entries: Vec<Recorded>) {
        self.overlay.import(entries, false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::overlay::Seen;
    use std::path::Path;

    fn attrs(ino: u64) -> Attrs {
        Attrs {
            mode: 0o755,
            uid: 1000,
            gid: 1000,
            ino,
        }
    }

    #[test]
    fn what_one_session_records_reaches_the_others_once() -> Result<(), serde_json::Error> {
        let root_agent = SharedOverlay::new();
        root_agent.start_journal();
        let user_agent = SharedOverlay::new();
        user_agent.start_journal();
        let controller = Predictions::new();
        root_agent.put(Path::new("/tmp/dir"), Node::Dir { attrs: attrs(1) });
        root_agent.set_enablement("system/a.service", Some("enabled"));
        // Over the wire and into the controller's record.
        let sent = serde_json::to_string(&root_agent.take_journal())?;
        let root_cursor = controller.add(serde_json::from_str(&sent)?, 0);
        assert_eq!(root_cursor, controller.end());
        assert!(root_agent.take_journal().is_empty());
        // The user's session gets them before its next request, and its own
        // records are not sent back to it.
        let (entries, user_cursor) = controller.since(0);
        user_agent.import(entries, false);
        assert!(user_agent.take_journal().is_empty());
        assert_eq!(
            user_agent.lookup(Path::new("/tmp/dir")),
            Seen::Node(Node::Dir { attrs: attrs(1) })
        );
        assert_eq!(
            user_agent.enablement("system/a.service").as_deref(),
            Some("enabled")
        );
        // A fresh object of the user's does not reuse an imported inode number.
        assert!(user_agent.next_ino() > 1);
        let file = Node::File {
            content: b"x".to_vec(),
            attrs: attrs(2),
        };
        user_agent.put(Path::new("/tmp/dir/file"), file.clone());
        let user_cursor = controller.add(user_agent.take_journal(), user_cursor);
        assert!(controller.since(user_cursor).0.is_empty());
        let (entries, _) = controller.since(root_cursor);
        root_agent.import(entries, false);
        assert_eq!(
            root_agent.lookup(Path::new("/tmp/dir/file")),
            Seen::Node(file)
        );
        Ok(())
    }

    #[test]
    fn a_journal_started_late_opens_with_what_the_overlay_holds() {
        let local = SharedOverlay::new();
        local.put(Path::new("/a"), Node::Dir { attrs: attrs(1) });
        local.put(Path::new("/a/b"), Node::Absent);
        local.set_enablement("system/x.service", Some("masked"));
        let predictions = Predictions::on(local.within(Path::new("/")));
        let (entries, _) = predictions.since(0);
        let agent = SharedOverlay::new();
        agent.import(entries, false);
        for path in ["/a", "/a/b", "/a/c"] {
            let path = Path::new(path);
            assert_eq!(agent.lookup(path), local.lookup(path), "{}", path.display());
        }
        assert_eq!(
            agent.enablement("system/x.service").as_deref(),
            Some("masked")
        );
    }

    #[test]
    fn a_real_run_journals_nothing() {
        let overlay = SharedOverlay::new();
        overlay.start_journal();
        overlay.forget(Path::new("/etc/hostname"));
        assert!(overlay.take_journal().is_empty());
    }
}
