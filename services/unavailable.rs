//! Services whose contract is published but whose implementation arrives in a later release answer
//! `UNIMPLEMENTED`, naming the capability. The macro writes the whole impl because `async_trait`
//! must see the methods already expanded.

/// The stream type of a server-streaming RPC.
pub(crate) type Stream<T> = std::pin::Pin<Box<dyn futures::Stream<Item = Result<T, tonic::Status>> + Send>>;

/// Implements a service whose RPCs are not available yet, except those written out in the
/// trailing block.
macro_rules! unavailable_service {
    (
        impl $trait:ident for $ty:ident;
        $(stream $assoc:ident = $assoc_ty:ty;)*
        $(rpc $fn_name:ident($req:ty) -> $resp:ty => $method:literal, $capability:literal;)*
        $({ $($available:tt)* })?
    ) => {
        #[tonic::async_trait]
        impl $trait for $ty {
            $(type $assoc = $assoc_ty;)*
            $(
                async fn $fn_name(&self, _: tonic::Request<$req>) -> Result<tonic::Response<$resp>, tonic::Status> {
                    Err($crate::ApiError::Unimplemented { method: $method, capability: $capability }.into())
                }
            )*
            $($($available)*)?
        }
    };
}

pub(crate) use unavailable_service;
