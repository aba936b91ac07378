//! The invite block: rendering, upsert/remove in a body, extraction. (in progress)
