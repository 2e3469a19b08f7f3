export { launch, launchWith, type Telemetry } from './src/launch';
