#!/bin/bash
# OnStart lifecycle script of the workshop's SageMaker notebook instance.
#
# setup/workshop-stack.yaml embeds this exact text (a test keeps the two identical). There,
# Fn::Sub fills in the quoted values below (two parameters, the stack's name and region); shell
# variables are therefore written $NAME, never with braces, so that Fn::Sub leaves them alone.
#
# SageMaker stops a lifecycle script after 5 minutes, and pip needs longer: this script returns
# at once and does the work in the background, logging to /home/ec2-user/SageMaker/
# workshop-setup.log. At every start it:
#   1. clones the kit into /home/ec2-user/SageMaker/segment-personalize-workshop, when a
#      repository URL is given and the folder is not there yet (the folder persists);
#   2. finds a Python >= 3.11 (installing python3.11 with dnf when there is none);
#   3. keeps a virtualenv on the persistent volume (/home/ec2-user/SageMaker/.workshop-venv) with
#      the kit's requirements.txt installed (fast when nothing changed);
#   4. registers that virtualenv as the Jupyter kernel named python3, the kernel the notebooks
#      name (kernel specs live outside the persistent volume, so this runs at every start), with
#      WORKSHOP_TARGET=aws, WORKSHOP_STACK and AWS_REGION set: the notebooks then run against
#      this stack without any parameter changed;
#   5. registers the same virtualenv a second time, as the kernel python3-local ("Python 3
#      (workshop, local emulator)") with WORKSHOP_TARGET=local: the notebooks then run on the
#      kit's emulator on this instance, with no Personalize quota and nothing billed but the
#      instance (Kernel > Change Kernel in JupyterLab switches a notebook to it).
set -eu

# shellcheck disable=SC2016  # the single-quoted values are CloudFormation's to fill in
KIT_REPOSITORY_URL='${KitRepositoryUrl}'
# shellcheck disable=SC2016
KIT_REPOSITORY_BRANCH='${KitRepositoryBranch}'
case $KIT_REPOSITORY_URL in *'$'*) KIT_REPOSITORY_URL="" ;; esac  # run as a plain file
case $KIT_REPOSITORY_BRANCH in *'$'*) KIT_REPOSITORY_BRANCH=main ;; esac
# shellcheck disable=SC2016
STACK_NAME='${AWS::StackName}'
# shellcheck disable=SC2016
STACK_REGION='${AWS::Region}'
case $STACK_NAME in *'$'*) STACK_NAME="" ;; esac
case $STACK_REGION in *'$'*) STACK_REGION="" ;; esac

HOME_DIR=/home/ec2-user/SageMaker
LOG=$HOME_DIR/workshop-setup.log
KIT_DIR=$HOME_DIR/segment-personalize-workshop
VENV=$HOME_DIR/.workshop-venv
export KIT_REPOSITORY_URL KIT_REPOSITORY_BRANCH STACK_NAME STACK_REGION HOME_DIR LOG KIT_DIR VENV

as_user() {
    sudo -u ec2-user -H "$@"
}

python_at_least_311() {
    "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null
}

find_python() {
    for candidate in python3.13 python3.12 python3.11 \
        /home/ec2-user/anaconda3/envs/*/bin/python3 /home/ec2-user/anaconda3/bin/python3; do
        path=$(command -v "$candidate" 2>/dev/null) || continue
        if python_at_least_311 "$path"; then
            echo "$path"
            return 0
        fi
    done
    return 1
}

setup() {
    echo "== $(date -u +%Y-%m-%dT%H:%M:%SZ) workshop setup starts"
    if [ -n "$KIT_REPOSITORY_URL" ] && [ ! -d "$KIT_DIR" ]; then
        echo "cloning $KIT_REPOSITORY_URL ($KIT_REPOSITORY_BRANCH) into $KIT_DIR"
        as_user git clone --depth 1 --branch "$KIT_REPOSITORY_BRANCH" \
            "$KIT_REPOSITORY_URL" "$KIT_DIR"
    fi
    if [ ! -f "$KIT_DIR/requirements.txt" ]; then
        echo "No $KIT_DIR/requirements.txt: upload the kit to that folder (or deploy the stack"
        echo "with KitRepositoryUrl), then stop and start the notebook instance."
        return 0
    fi
    python=$(find_python) || {
        echo "no Python >= 3.11 found: installing python3.11 with dnf"
        dnf install -y -q python3.11
        python=$(find_python)
    }
    echo "python: $python ($("$python" --version 2>&1))"
    # the base Python may have changed since the last start: then the virtualenv is made anew
    if ! as_user "$VENV/bin/python" -c 'import sys' 2>/dev/null; then
        echo "creating the virtualenv $VENV"
        as_user "$python" -m venv --clear "$VENV"
    fi
    echo "installing $KIT_DIR/requirements.txt (a few minutes the first time)"
    # requirements.txt holds "-e .", which pip reads relative to the working directory
    (cd "$KIT_DIR" && as_user "$VENV/bin/pip" install --no-cache-dir -q -c constraints.txt -r requirements.txt)
    if [ -n "$STACK_NAME" ]; then
        as_user "$VENV/bin/python" -m ipykernel install --user --name python3 \
            --display-name "Python 3 (workshop)" --env WORKSHOP_TARGET aws \
            --env WORKSHOP_STACK "$STACK_NAME" --env AWS_REGION "$STACK_REGION"
    else  # run as a plain file: no stack to point the kernel at
        as_user "$VENV/bin/python" -m ipykernel install --user --name python3 \
            --display-name "Python 3 (workshop)"
    fi
    as_user "$VENV/bin/python" -m ipykernel install --user --name python3-local \
        --display-name "Python 3 (workshop, local emulator)" --env WORKSHOP_TARGET local
    # learners edit a working copy; the kit's notebooks stay the reference (restore from them)
    (cd "$KIT_DIR" && as_user "$VENV/bin/python" -m workshop_lib copy)
    echo "== $(date -u +%Y-%m-%dT%H:%M:%SZ) done: open $KIT_DIR/my-notebooks/ with the kernel"
    echo "python3 (this stack on AWS) or python3-local (the local emulator on this instance)"
}
export -f as_user python_at_least_311 find_python setup

touch "$LOG"
chown ec2-user:ec2-user "$LOG"
nohup bash -c 'set -eEu; trap "echo == setup failed: see the lines above" ERR; setup' \
    >>"$LOG" 2>&1 </dev/null &
echo "workshop setup runs in the background; progress: $LOG"
