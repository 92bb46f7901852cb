//! The WebGPU device and the few operations every kernel needs: buffers, pipelines, dispatch and
//! an asynchronous read-back. The same code runs natively on Vulkan (tests use Mesa's lavapipe)
//! and in the browser on WebGPU.

use crate::error::{PlaygroundError, Result};
use crate::gpu::kernels::MatmulVariant;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use wgpu::util::DeviceExt;

/// The adapter as the page names it, from wgpu's `AdapterInfo`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AdapterSummary {
    pub name: String,
    pub backend: String,
    pub device_type: String,
    pub driver: String,
}

#[derive(Debug, Clone)]
pub struct Gpu {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub adapter: AdapterSummary,
    /// The matmul kernels that trainers built on this device run. `new` picks them by the kind
    /// of adapter, and tests set them to run the other kind's.
    pub matmul: MatmulVariant,
    /// The first validation or out-of-memory error the device reported. wgpu's default handler
    /// panics, which in wasm would kill the module, so errors are kept here and returned by the
    /// next read-back instead.
    error: Arc<Mutex<Option<String>>>,
}

pub(crate) fn gpu_error(message: impl std::fmt::Display) -> PlaygroundError {
    PlaygroundError::Gpu {
        message: message.to_string(),
    }
}

impl Gpu {
    /// Requests an adapter and a device with the default limits. `allow_fallback` admits a
    /// software adapter (lavapipe, SwiftShader), which is what tests run on.
    pub async fn new(allow_fallback: bool) -> Result<Self> {
        let mut descriptor = wgpu::InstanceDescriptor::new_without_display_handle();
        descriptor.backends = if cfg!(target_arch = "wasm32") {
            wgpu::Backends::BROWSER_WEBGPU
        } else {
            wgpu::Backends::VULKAN
        };
        let instance = wgpu::Instance::new(descriptor);
        let adapter = instance
            .request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::HighPerformance,
                ..Default::default()
            })
            .await
            .map_err(|error| gpu_error(format!("no WebGPU adapter is available ({error})")))?;
        let info = adapter.get_info();
        if !allow_fallback && info.device_type == wgpu::DeviceType::Cpu {
            return Err(gpu_error(format!(
                "the only adapter, {}, is a software fallback",
                info.name
            )));
        }
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("dfdx-playground"),
                required_features: wgpu::Features::empty(),
                // WebGPU's default limits, which every adapter offers: among them 8 storage
                // buffers per shader stage, which the gather kernel's 5 need.
                required_limits: wgpu::Limits::default(),
                experimental_features: wgpu::ExperimentalFeatures::disabled(),
                memory_hints: wgpu::MemoryHints::Performance,
                trace: wgpu::Trace::Off,
            })
            .await
            .map_err(|error| gpu_error(format!("the WebGPU device request failed ({error})")))?;
        let error = Arc::new(Mutex::new(None));
        let handler_error = error.clone();
        device.on_uncaptured_error(Arc::new(move |reported: wgpu::Error| {
            let mut slot = handler_error.lock().expect("GPU error lock");
            slot.get_or_insert_with(|| reported.to_string());
        }));
        // wgpu reports a software adapter as a CPU device: natively lavapipe, and on the web an
        // adapter whose `isFallbackAdapter` is true.
        let software = info.device_type == wgpu::DeviceType::Cpu;
        Ok(Self {
            device,
            queue,
            error,
            matmul: MatmulVariant::for_adapter(software),
            adapter: AdapterSummary {
                name: info.name,
                backend: format!("{:?}", info.backend),
                device_type: format!("{:?}", info.device_type),
                driver: info.driver,
            },
        })
    }

    /// Creates a storage buffer holding `data`, readable back and writable from the host.
    pub fn buffer_from<T: bytemuck::Pod>(&self, label: &str, data: &[T]) -> wgpu::Buffer {
        // wgpu rejects zero-sized bindings, so an empty slice still gets 4 bytes.
        let bytes: &[u8] = bytemuck::cast_slice(data);
        let padded;
        let contents = if bytes.is_empty() {
            padded = [0u8; 4];
            &padded[..]
        } else {
            bytes
        };
        self.device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(label),
                contents,
                usage: wgpu::BufferUsages::STORAGE
                    | wgpu::BufferUsages::COPY_SRC
                    | wgpu::BufferUsages::COPY_DST,
            })
    }

    /// Creates a zeroed storage buffer of `len` 4-byte elements.
    pub fn zeros(&self, label: &str, len: usize) -> wgpu::Buffer {
        self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: (len.max(1) * 4) as u64,
            usage: wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_SRC
                | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        })
    }

    /// Creates a uniform buffer holding `value`; `Queue::write_buffer` changes it later.
    pub fn uniform<T: bytemuck::Pod>(&self, label: &str, value: &T) -> wgpu::Buffer {
        self.device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(label),
                contents: bytemuck::bytes_of(value),
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            })
    }

    /// Compiles one entry point of a WGSL source into a pipeline with an inferred layout.
    pub fn kernel(&self, label: &str, source: &str, entry_point: &str) -> Kernel {
        let module = self
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(label),
                source: wgpu::ShaderSource::Wgsl(source.into()),
            });
        let pipeline = self
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(label),
                layout: None,
                module: &module,
                entry_point: Some(entry_point),
                compilation_options: Default::default(),
                cache: None,
            });
        Kernel {
            pipeline,
            label: label.to_string(),
        }
    }

    /// Copies `len` f32 values from a storage buffer to the host, without blocking the
    /// browser's event loop: on the web the future resolves from a later task.
    pub async fn read_f32(&self, buffer: &wgpu::Buffer, len: usize) -> Result<Vec<f32>> {
        let size = (len * 4) as u64;
        if size == 0 {
            return Ok(Vec::new());
        }
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("read-back"),
            size,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
        encoder.copy_buffer_to_buffer(buffer, 0, &staging, 0, size);
        self.queue.submit([encoder.finish()]);

        let slot = Arc::new(Mutex::new(MapSlot::default()));
        let callback_slot = slot.clone();
        staging.map_async(wgpu::MapMode::Read, .., move |result| {
            let mut slot = callback_slot.lock().expect("map slot lock");
            slot.result = Some(result.map_err(gpu_error));
            if let Some(waker) = slot.waker.take() {
                waker.wake();
            }
        });
        // Natively nothing drives the callback but a poll; on the web this call does nothing.
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(gpu_error)?;
        MapFuture { slot }.await?;
        if let Some(message) = self.error.lock().expect("GPU error lock").clone() {
            staging.unmap();
            return Err(gpu_error(message));
        }

        let values = {
            let view = staging.get_mapped_range(..).map_err(gpu_error)?;
            bytemuck::cast_slice::<u8, f32>(&view).to_vec()
        };
        staging.unmap();
        Ok(values)
    }
}

#[derive(Default)]
struct MapSlot {
    result: Option<Result<()>>,
    waker: Option<Waker>,
}

/// Resolves when `map_async`'s callback has run.
struct MapFuture {
    slot: Arc<Mutex<MapSlot>>,
}

impl Future for MapFuture {
    type Output = Result<()>;

    fn poll(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Self::Output> {
        let mut slot = self.slot.lock().expect("map slot lock");
        match slot.result.take() {
            Some(result) => Poll::Ready(result),
            None => {
                slot.waker = Some(context.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// A compute pipeline for one kernel entry point.
#[derive(Debug, Clone)]
pub struct Kernel {
    pub pipeline: wgpu::ComputePipeline,
    pub label: String,
}

impl Kernel {
    /// Binds `buffers` to bindings 0, 1, … of group 0, in order.
    pub fn bind(&self, gpu: &Gpu, buffers: &[&wgpu::Buffer]) -> wgpu::BindGroup {
        let entries: Vec<wgpu::BindGroupEntry> = buffers
            .iter()
            .enumerate()
            .map(|(binding, buffer)| wgpu::BindGroupEntry {
                binding: binding as u32,
                resource: buffer.as_entire_binding(),
            })
            .collect();
        gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(&self.label),
            layout: &self.pipeline.get_bind_group_layout(0),
            entries: &entries,
        })
    }

    /// Records one dispatch of this kernel into `encoder`.
    pub fn dispatch(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        bind_group: &wgpu::BindGroup,
        workgroups: [u32; 3],
    ) {
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some(&self.label),
            timestamp_writes: None,
        });
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, bind_group, &[]);
        pass.dispatch_workgroups(workgroups[0], workgroups[1], workgroups[2]);
    }
}

/// Workgroups needed to cover `items` with `per_group` items each.
pub fn groups(items: usize, per_group: usize) -> u32 {
    items.div_ceil(per_group).max(1) as u32
}

/// Blocks on a future natively; tests and native tools use it, the web awaits instead.
#[cfg(not(target_arch = "wasm32"))]
pub fn block_on<F: Future>(future: F) -> F::Output {
    pollster::block_on(future)
}
