//! What a tracking session knows about the player (tracker.md §4.2, §4.9): the media, the
//! playback state with its buffering/seeking overlays, the open ad break, ad and chapter, and
//! the player states. It survives idle and 24 h restarts; a new sessionStart replaces it.

use crate::core::{AdBreakInfo, AdInfo, ChapterInfo, MediaInfo, Metadata};
use crate::hit::EventType;

/// The underlying state; buffering and seeking are overlays on top of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PlayState {
    Init,
    Play,
    Pause,
}

/// The effective state, highest priority first: Buffer > Seek > Play > Pause > Init.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Playback {
    Buffer,
    Seek,
    Play,
    Pause,
    Init,
}

impl Playback {
    /// The hit that reports this state. There is no seek event (a seek is a pause) and no
    /// init event (a ping stands for it).
    pub(crate) fn event_type(self) -> EventType {
        match self {
            Playback::Buffer => EventType::BufferStart,
            Playback::Seek | Playback::Pause => EventType::PauseStart,
            Playback::Play => EventType::Play,
            Playback::Init => EventType::Ping,
        }
    }
}

/// Distinct player-state names per tracking session.
pub(crate) const STATE_LIMIT: usize = 10;

#[derive(Debug, Clone)]
pub(crate) struct MediaContext {
    pub(crate) media: MediaInfo,
    pub(crate) metadata: Metadata,
    pub(crate) play_state: PlayState,
    pub(crate) buffering: bool,
    pub(crate) seeking: bool,
    pub(crate) ad_break: Option<AdBreakInfo>,
    pub(crate) ad: Option<(AdInfo, Metadata)>,
    pub(crate) chapter: Option<(ChapterInfo, Metadata)>,
    /// Every name started in this tracking session, in first-start order, with whether it is
    /// active now (restarts re-send the active ones in this order).
    states: Vec<(Box<str>, bool)>,
}

impl MediaContext {
    pub(crate) fn new(media: MediaInfo, metadata: Metadata) -> MediaContext {
        MediaContext {
            media,
            metadata,
            play_state: PlayState::Init,
            buffering: false,
            seeking: false,
            ad_break: None,
            ad: None,
            chapter: None,
            states: Vec::new(),
        }
    }

    pub(crate) fn effective(&self) -> Playback {
        if self.buffering {
            Playback::Buffer
        } else if self.seeking {
            Playback::Seek
        } else {
            match self.play_state {
                PlayState::Play => Playback::Play,
                PlayState::Pause => Playback::Pause,
                PlayState::Init => Playback::Init,
            }
        }
    }

    /// Not playing, or buffering, or seeking (Init and Pause count as idle).
    pub(crate) fn is_idle(&self) -> bool {
        self.play_state != PlayState::Play || self.buffering || self.seeking
    }

    pub(crate) fn in_break(&self) -> bool {
        self.ad_break.is_some()
    }

    pub(crate) fn in_ad(&self) -> bool {
        self.ad.is_some()
    }

    pub(crate) fn in_chapter(&self) -> bool {
        self.chapter.is_some()
    }

    /// Playback calls are dropped inside an ad break but outside an ad (Adobe's rule).
    pub(crate) fn playback_allowed(&self) -> bool {
        self.ad_break.is_none() || self.ad.is_some()
    }

    pub(crate) fn is_state_active(&self, name: &str) -> bool {
        self.states.iter().any(|(n, active)| *active && &**n == name)
    }

    /// A name may start when it was used before or the limit is not reached yet.
    pub(crate) fn may_start_state(&self, name: &str) -> bool {
        self.states.iter().any(|(n, _)| &**n == name) || self.states.len() < STATE_LIMIT
    }

    pub(crate) fn start_state(&mut self, name: &str) {
        match self.states.iter_mut().find(|(n, _)| &**n == name) {
            Some((_, active)) => *active = true,
            None => self.states.push((name.into(), true)),
        }
    }

    pub(crate) fn end_state(&mut self, name: &str) {
        if let Some((_, active)) = self.states.iter_mut().find(|(n, _)| &**n == name) {
            *active = false;
        }
    }

    pub(crate) fn active_states(&self) -> impl Iterator<Item = &str> {
        self.states.iter().filter(|(_, active)| *active).map(|(n, _)| &**n)
    }
}
