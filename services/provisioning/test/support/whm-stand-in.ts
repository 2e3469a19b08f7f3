export { startWhmStandIn, type WhmStandIn } from '../../src/dev/whm-stand-in';
