//! The protobuf codec of every odoo-mesh service: prost's, with a smaller first buffer.
//!
//! tonic gives each response an encode buffer of 8 KiB when it starts, and a watch stream holds
//! its buffer while it idles: 8 KiB of each subscriber's memory, against answers and events of a
//! few hundred bytes. A 1 KiB buffer grows as a larger message needs.

use std::marker::PhantomData;

use tonic::codec::{BufferSettings, Codec};
use tonic_prost::ProstCodec;

/// The first buffer of a response's encoding (tonic's default: 8 KiB).
const BUFFER_SIZE: usize = 1024;
/// Encoded bytes handed on once this many have gathered (tonic's default).
const YIELD_THRESHOLD: usize = 32 * 1024;

/// Named in `build.rs` as the generated services' codec (clients, generated in the client crate, use prost's).
#[derive(Debug, Clone)]
pub struct LeanCodec<T, U>(PhantomData<(T, U)>);

impl<T, U> Default for LeanCodec<T, U> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

impl<T, U> Codec for LeanCodec<T, U>
where
    T: prost::Message + Send + 'static,
    U: prost::Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = <ProstCodec<T, U> as Codec>::Encoder;
    type Decoder = <ProstCodec<T, U> as Codec>::Decoder;

    fn encoder(&mut self) -> Self::Encoder {
        ProstCodec::<T, U>::raw_encoder(BufferSettings::new(BUFFER_SIZE, YIELD_THRESHOLD))
    }

    fn decoder(&mut self) -> Self::Decoder {
        ProstCodec::<T, U>::default().decoder()
    }
}
