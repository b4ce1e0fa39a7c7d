import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
export const probe = () => [aws, pulumi];
