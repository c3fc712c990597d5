import { boot } from '../shared/boot';
import { Landing } from './Landing';

boot(<Landing />);
