//! What the services' streaming RPCs answer with.

/// The stream type of a server-streaming RPC.
pub(crate) type Stream<T> = std::pin::Pin<Box<dyn futures::Stream<Item = Result<T, tonic::Status>> + Send>>;
