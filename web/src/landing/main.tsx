import { boot } from '../shared/boot.js';
import { Landing } from './Landing.js';

boot(<Landing />);
